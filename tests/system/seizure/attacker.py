"""The attacker's tools: every key in a copied keys.dir, every decryptor the project's
code offers, and a search of every byte for what must not be found.

To add a decryptor, write `def name(blob: bytes, ctx: Context) -> Iterator[Opened]` that
yields what it could open (and nothing when it cannot), and append it to `DECRYPTORS`.
A decryptor that needs a module or API that does not exist (yet) returns without
yielding: `_optional(...)` imports quietly. Plaintexts are searched and fed back to every
decryptor (tokens inside a state, e.g. a reply token), up to `MAX_DEPTH` levels.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.crypto import aead, padding, receipt_keys, sealed_content
from storage.crypto.keys import KeyStore

ROOT = Path(__file__).resolve().parents[3]
CHANNELS = ("telegram", "web", "terminal", "whatsapp")
MAX_DEPTH = 3
MIN_BLOB = aead.NONCE_LEN + aead.TAG_LEN
B64_TOKEN = re.compile(rb"[A-Za-z0-9_\-+/]{40,}={0,2}")
RECEIPT_CANDIDATE = re.compile(rb"(?<!\d)\d{4}[ \-.]?\d{4}[ \-.]?\d{4}[ \-.]?\d{4}(?!\d)")


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _source_strings(pattern: str) -> set[str]:
    """String constants of the product's code (not the tests): purposes and AAD labels."""
    found: set[str] = set()
    for package in ("storage", "bot", "escalation", "dialogues"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


@dataclass
class Keyring:
    """Everything in one copied keys.dir, loaded the way the service loads it."""

    dir: Path
    store: KeyStore | None
    files: dict[str, bytes]  # every file, by path relative to keys.dir
    chat_ids: dict[str, tuple[str, int]]  # chat hash -> (channel, chat id), brute-forced
    purposes: set[str]
    labels: set[str]

    @classmethod
    def load(cls, directory: Path, chat_range: range) -> Keyring:
        files = {
            str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file()
        }
        try:
            store: KeyStore | None = KeyStore.load(directory)
        except Exception:
            store = None
        chat_ids: dict[str, tuple[str, int]] = {}
        if store is not None:
            for channel in CHANNELS:
                for chat_id in chat_range:
                    chat_ids[store.server.chat_key(channel, str(chat_id))] = (channel, chat_id)
        return cls(
            directory,
            store,
            files,
            chat_ids,
            _source_strings(r'PURPOSE\s*=\s*"([^"]+)"') | _source_strings(r'purpose="([^"]+)"'),
            # AAD labels, and the HKDF labels sub-keys are derived under
            _source_strings(r'\bassociated_data\(\s*"([^"]+)"')
            | _source_strings(r'\bsubkey\([^"\n]*?"([^"]+)"'),
        )

    def sub_keys(self) -> dict[str, bytes]:
        """Every 32-byte secret a ServerKey derives (today chat/state/value/audit; new
        ones are picked up by looking at the object, not by name)."""
        if self.store is None:
            return {}
        return {
            name: value
            for name, value in vars(self.store.server).items()
            if isinstance(value, bytes) and len(value) == aead.KEY_LEN
        }

    def draft_secrets(self) -> dict[str, bytes]:
        """keys.dir/drafts/<chat hash> files (the drafts' shreddable keys)."""
        return {
            Path(name).name: data
            for name, data in self.files.items()
            if Path(name).parts[0] == "drafts"
        }


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


# --- opening everything --------------------------------------------------------------


@dataclass
class Opener:
    """Runs every decryptor on a value and on what comes out, with a cache (the same
    blob appears in many versions and copies)."""

    keys: Keyring
    cache: dict[tuple[bytes, tuple[str, ...]], list[Opened]] = field(default_factory=dict)

    def open(self, blob: bytes, hints: tuple[str, ...] = (), depth: int = 0) -> list[Opened]:
        if len(blob) < MIN_BLOB or depth >= MAX_DEPTH:
            return []
        cache_key = (blob, hints)
        if cache_key in self.cache:
            return self.cache[cache_key]
        self.cache[cache_key] = []  # no loops
        out: list[Opened] = []
        ctx = Context(self.keys, hints)
        for decryptor in DECRYPTORS:  # the first that opens it is enough
            for opened in decryptor(blob, ctx):
                out.append(opened)
                for inner_blob in embedded_blobs(opened.plaintext):
                    for inner in self.open(inner_blob, hints, depth + 1):
                        out.append(Opened(f"{opened.how} -> {inner.how}", inner.plaintext))
            if out:
                break
        self.cache[cache_key] = out
        return out


def embedded_blobs(plain: bytes) -> Iterator[bytes]:
    """Base64 tokens inside a plaintext (a reply token in a JSON state, ...)."""
    for match in B64_TOKEN.finditer(plain):
        token = match.group().rstrip(b"=")
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                yield decode(token + b"=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                continue


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if value is None:
        return b""
    return str(value).encode()


def blob_values(value: Any) -> Iterator[bytes]:
    """What of a column value could be a ciphertext: the bytes, and base64 in text."""
    raw = as_bytes(value)
    if isinstance(value, bytes | bytearray | memoryview):
        yield raw
    yield from embedded_blobs(raw)


def hints_of(row: Iterable[Any]) -> tuple[str, ...]:
    return tuple(
        sorted({v for v in row if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)})
    )


# --- what is searched for -------------------------------------------------------------


@dataclass(frozen=True)
class Needle:
    kind: str  # "marker", "receipt", "chat id", "report id", "reference"
    student: str
    pattern: re.Pattern[bytes]

    def search(self, data: bytes) -> bool:
        return self.pattern.search(data) is not None


def needle(kind: str, student: str, text: str) -> Needle:
    escaped = re.escape(text.encode())
    if kind in ("receipt", "chat id"):
        return Needle(kind, student, re.compile(rb"(?<!\d)" + escaped + rb"(?!\d)"))
    return Needle(kind, student, re.compile(escaped))


def receipt_needles(student: str, code: str) -> list[Needle]:
    grouped = " ".join(code[i : i + 4] for i in range(0, 16, 4))
    return [needle("receipt", student, code), needle("receipt", student, grouped)]


@dataclass(frozen=True)
class Hit:
    moment: str
    where: str  # file, or table/column and version
    how: str  # "raw bytes", or the decryptor chain
    needle: Needle

    def __str__(self) -> str:
        return (
            f"[{self.moment}] {self.needle.kind} of {self.needle.student} found in "
            f"{self.where} via {self.how}"
        )


def receipts_in(data: bytes) -> set[str]:
    return {re.sub(rb"\D", b"", m.group()).decode() for m in RECEIPT_CANDIDATE.finditer(data)}


def open_reports_with_receipt(
    receipt: str, keys: Keyring, reports: list[dict[str, Any]], fields: list[dict[str, Any]]
) -> Iterator[tuple[str, bytes]]:
    """Server key copy + a receipt found at rest = the report's content: no receipt may
    rest on disk."""
    if keys.store is None:
        return
    derived = receipt_keys.derive_receipt_keys(receipt, keys.store.receipt_salt, keys.store.kdf)
    for report in reports:
        if as_bytes(report.get("receipt_lookup")) != derived.lookup:
            continue
        try:
            data_key = receipt_keys.unwrap_data_key(
                as_bytes(report["receipt_wrapped_key"]), derived.wrap_key, report_id=report["id"]
            )
        except aead.CryptoError:
            continue
        for row in fields:
            if row.get("report_id") != report["id"]:
                continue
            try:
                yield (
                    row["field"],
                    sealed_content.decrypt_field(
                        data_key,
                        as_bytes(row["ciphertext"]),
                        report_id=report["id"],
                        field=row["field"],
                    ),
                )
            except aead.CryptoError:
                continue


def json_or_text(plain: bytes) -> str:
    try:
        return json.dumps(json.loads(plain))[:200]
    except ValueError:
        return plain[:200].decode("utf-8", "replace")
