"""All of stagemeld's cryptography, in one place.

Built only from `cryptography` primitives: AES-256-GCM for content, HPKE (RFC 9180) to
seal per-report data keys to advisers and the recovery key, Argon2id to turn receipt
codes and passphrases into keys, HKDF and HMAC for sub-keys and the chat hash.
Associated data binds every ciphertext to where it belongs, so nothing can be moved
from one report, field or chat to another without failing to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

VERSION = b"stagemeld/v1"
KEY_LEN = 32
NONCE_LEN = 12
RECEIPT_DIGITS = 16
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_PRIVATE_HEADER = "stagemeld-recovery-key-v1:"


class CryptoError(Exception):
    """Decryption or authentication failed: wrong key, or data moved or altered."""


def _aad(*parts: str) -> bytes:
    return b"|".join([VERSION, *(p.encode() for p in parts)])


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_LEN + 16:
        raise CryptoError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot decrypt") from exc


# --- report content -----------------------------------------------------------------


def new_data_key() -> bytes:
    return os.urandom(KEY_LEN)


def encrypt_field(key: bytes, plaintext: bytes, *, report_id: str, field: str) -> bytes:
    return _seal(key, plaintext, _aad("field", report_id, field))


def decrypt_field(key: bytes, blob: bytes, *, report_id: str, field: str) -> bytes:
    return _open(key, blob, _aad("field", report_id, field))


# --- sealing data keys to people (HPKE) -----------------------------------------------


def generate_keypair() -> tuple[X25519PrivateKey, bytes]:
    private = X25519PrivateKey.generate()
    return private, public_bytes(private)


def public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def seal_key(data_key: bytes, public_key: bytes, *, report_id: str) -> bytes:
    recipient = X25519PublicKey.from_public_bytes(public_key)
    return _SUITE.encrypt(data_key, recipient, info=_aad("data-key", report_id))


def open_key(sealed: bytes, private_key: X25519PrivateKey, *, report_id: str) -> bytes:
    try:
        return _SUITE.decrypt(sealed, private_key, info=_aad("data-key", report_id))
    except Exception as exc:  # the HPKE binding raises several types on bad input
        raise CryptoError("cannot open sealed key") from exc


def private_key_to_text(private: X25519PrivateKey) -> str:
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return _PRIVATE_HEADER + base64.b32encode(raw).decode().rstrip("=")


def private_key_from_text(text: str) -> X25519PrivateKey:
    body = "".join(text.split()).removeprefix(_PRIVATE_HEADER).upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
        return X25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise CryptoError("not a stagemeld recovery key") from exc


# --- receipts --------------------------------------------------------------------------


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. RFC 9106's second recommended profile by default."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 65536


@dataclass(frozen=True)
class ReceiptKeys:
    lookup: bytes  # stored: finds the report
    wrap_key: bytes  # never stored: opens the student's copy of the data key


def generate_receipt() -> str:
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def _argon2(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    return Argon2id(
        salt=salt,
        length=KEY_LEN,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(secret)


def _expand(master: bytes, label: str) -> bytes:
    return HKDFExpand(hashes.SHA256(), KEY_LEN, _aad(label)).derive(master)


def derive_receipt_keys(code: str, salt: bytes, params: KdfParams) -> ReceiptKeys:
    """Blocking (by design, ~0.1-0.2 s): call it from a thread."""
    master = _argon2(code.encode(), salt, params)
    return ReceiptKeys(
        lookup=_expand(master, "receipt-lookup"), wrap_key=_expand(master, "receipt-wrap")
    )


def wrap_data_key(data_key: bytes, wrap_key: bytes, *, report_id: str) -> bytes:
    return _seal(wrap_key, data_key, _aad("receipt-copy", report_id))


def unwrap_data_key(blob: bytes, wrap_key: bytes, *, report_id: str) -> bytes:
    return _open(wrap_key, blob, _aad("receipt-copy", report_id))


# --- advisers' private keys under a passphrase ------------------------------------------


def protect_private_key(private: X25519PrivateKey, passphrase: str, params: KdfParams) -> bytes:
    salt = os.urandom(16)
    key = _argon2(passphrase.encode(), salt, params)
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    envelope = {
        "v": 1,
        "kdf": asdict(params),
        "salt": base64.b64encode(salt).decode(),
        "ct": base64.b64encode(_seal(key, raw, _aad("adviser-key"))).decode(),
    }
    return json.dumps(envelope, sort_keys=True).encode()


def unprotect_private_key(blob: bytes, passphrase: str) -> X25519PrivateKey:
    try:
        envelope = json.loads(blob)
        params = KdfParams(**envelope["kdf"])
        salt = base64.b64decode(envelope["salt"])
        ct = base64.b64decode(envelope["ct"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CryptoError("not a protected key") from exc
    key = _argon2(passphrase.encode(), salt, params)
    return X25519PrivateKey.from_private_bytes(_open(key, ct, _aad("adviser-key")))


# --- the server's own key ----------------------------------------------------------------


class ServerKey:
    """The server's secret. It keys the chat hash and encrypts drafts; it opens no report."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_LEN:
            raise ValueError("the server key must be 32 bytes")
        self._chat = self._derive(secret, "chat-hash")
        self._state = self._derive(secret, "conversation-state")
        self._value = self._derive(secret, "stored-value")

    @staticmethod
    def _derive(secret: bytes, label: str) -> bytes:
        return HKDF(hashes.SHA256(), KEY_LEN, salt=None, info=_aad(label)).derive(secret)

    def chat_key(self, channel: str, chat_id: str) -> str:
        message = f"{channel}\x00{chat_id}".encode()
        return hmac.new(self._chat, message, hashlib.sha256).hexdigest()

    def seal_state(self, plaintext: bytes, *, chat_key: str) -> bytes:
        return _seal(self._state, plaintext, _aad("state", chat_key))

    def open_state(self, blob: bytes, *, chat_key: str) -> bytes:
        return _open(self._state, blob, _aad("state", chat_key))

    def seal_value(self, plaintext: bytes, *, purpose: str) -> bytes:
        return _seal(self._value, plaintext, _aad("value", purpose))

    def open_value(self, blob: bytes, *, purpose: str) -> bytes:
        return _open(self._value, blob, _aad("value", purpose))
