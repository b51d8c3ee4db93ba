"""The attacker's decryptors: every one the project's code offers, tried on a blob.

To add a decryptor, write `def name(blob: bytes, ctx: Context) -> Iterator[Opened]` that
yields what it could open (and nothing when it cannot), and append it to `DECRYPTORS`.
A decryptor that needs a module or API that does not exist (yet) returns without
yielding: `_optional(...)` imports quietly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.crypto import aead, padding
from storage.crypto.keys import KeyStore
from tests.system.seizure.keyring import Keyring

MIN_BLOB = aead.NONCE_LEN + aead.TAG_LEN


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@dataclass
class Context:
    keys: Keyring
    hints: tuple[str, ...] = ()  # chat hashes and other ids in the same row


@dataclass(frozen=True)
class Opened:
    how: str
    plaintext: bytes


Decryptor = Callable[[bytes, Context], Iterator[Opened]]


def _hashes(ctx: Context) -> list[str]:
    """Chat hashes to try: those named in the row first, else every brute-forced one."""
    named = [h for h in ctx.hints if h in ctx.keys.chat_ids]
    return named or list(ctx.keys.chat_ids)


def _who(ctx: Context, chat_hash: str) -> str:
    channel, chat_id = ctx.keys.chat_ids.get(chat_hash, ("?", 0))
    return f"{channel}:{chat_id}"


def conversation_state(blob: bytes, ctx: Context) -> Iterator[Opened]:
    """The drafts' old encryption (a server sub-key, "conversation-state"), under every
    chat hash, unpadded and padded: the attacker keeps the old code."""
    if ctx.keys.store is None:
        return
    state = _server_sub_key(ctx.keys.store, "conversation-state")
    for chat_hash in _hashes(ctx):
        for label in ("state", "state+pad"):
            try:
                plain = _aes_open(state, blob, aead.associated_data(label, chat_hash))
            except aead.CryptoError:
                continue
            if label.endswith("+pad"):
                plain = padding.unpad(plain)
            yield Opened(f"open_state(chat {_who(ctx, chat_hash)})", plain)


def _unpadded(plain: bytes) -> bytes:
    """Padded plaintext (`padding.pad`) as the service reads it, so nested secrets parse."""
    try:
        return padding.unpad(plain)
    except aead.CryptoError:
        return plain


def _server_sub_key(store: KeyStore, label: str) -> bytes:
    secret = (store.dir / "server.key").read_bytes()
    return HKDF(hashes.SHA256(), aead.KEY_LEN, salt=None, info=aead.associated_data(label)).derive(
        secret
    )


def _aes_open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < aead.NONCE_LEN + aead.TAG_LEN:
        raise aead.CryptoError("too short")
    try:
        return AESGCM(key).decrypt(blob[: aead.NONCE_LEN], blob[aead.NONCE_LEN :], aad)
    except Exception as exc:
        raise aead.CryptoError("cannot decrypt") from exc


def sealed_value(blob: bytes, ctx: Context) -> Iterator[Opened]:
    """`ServerKey.open_value` for every purpose the code names (nudge target, reply
    token, TOTP secret, ...)."""
    if ctx.keys.store is None:
        return
    for purpose in sorted(ctx.keys.purposes):
        try:
            plain = ctx.keys.store.server.open_value(blob, purpose=purpose)
        except aead.CryptoError:
            continue
        yield Opened(f"open_value({purpose})", plain)


def _draft_key_candidates(secret: bytes, chat_hash: str, chat_id: str) -> Iterator[bytes]:
    """The design's derivation (HKDF(secret, info=aad("draft", chat hash, chat id))), and
    whatever `storage.crypto.draft_keys` itself offers when it exists."""
    aad = aead.associated_data
    yield HKDF(
        hashes.SHA256(), aead.KEY_LEN, salt=None, info=aad("draft", chat_hash, chat_id)
    ).derive(secret)
    module = _optional("storage.crypto.draft_keys")
    if module is None:
        return
    for name in dir(module):
        function = getattr(module, name)
        if callable(function) and "key" in name.lower() and not isinstance(function, type):
            for args in ((secret, chat_hash, chat_id), (secret, chat_id, chat_hash)):
                try:
                    key = function(*args)
                except Exception:
                    continue
                if isinstance(key, bytes) and len(key) == aead.KEY_LEN:
                    yield key


def draft_key_file(blob: bytes, ctx: Context) -> Iterator[Opened]:
    """A draft sealed with its own key file (keys.dir/drafts/<chat hash>) + the chat id,
    which the attacker brute-forces; every plausible associated data is tried."""
    aad = aead.associated_data
    secrets_ = ctx.keys.draft_secrets()
    for chat_hash in _hashes(ctx):
        secret = secrets_.get(chat_hash)
        if secret is None:
            continue
        channel, chat_id = ctx.keys.chat_ids[chat_hash]
        for key in _draft_key_candidates(secret, chat_hash, str(chat_id)):
            for label in (
                aad("state", chat_hash),
                aad("draft", chat_hash),
                aad("draft", chat_hash, str(chat_id)),
                b"",
            ):
                plain = _try(key, blob, label)
                if plain is not None:
                    yield Opened(f"draft key file (chat {channel}:{chat_id})", _unpadded(plain))
                    return


def any_sub_key(blob: bytes, ctx: Context) -> Iterator[Opened]:
    """Anything else: every server sub-key with every AAD label in the code, alone or
    with an id from the same row (catches a new use nobody wrote a decryptor for)."""
    aad = aead.associated_data
    extras: list[tuple[str, ...]] = [()] + [(h,) for h in ctx.hints]
    for key_name, key in ctx.keys.sub_keys().items():
        for label in sorted(ctx.keys.labels):
            for extra in extras:
                plain = _try(key, blob, aad(label, *extra))
                if plain is not None:
                    yield Opened(f"sub-key {key_name} aad {label}{list(extra)}", plain)
                    return


def _try(key: bytes, blob: bytes, aad: bytes) -> bytes | None:
    if len(blob) < MIN_BLOB:
        return None
    try:
        return AESGCM(key).decrypt(blob[: aead.NONCE_LEN], blob[aead.NONCE_LEN :], aad)
    except Exception:
        return None


DECRYPTORS: list[Decryptor] = [
    conversation_state,
    draft_key_file,
    sealed_value,
    any_sub_key,
]
