"""AES-256-GCM and the associated data every ciphertext is bound by: the room's base.

Associated data binds every ciphertext to where it belongs (a report, a field, a chat),
so nothing can be moved from one place to another without failing to decrypt. Every
other crypto module builds on these few functions; none of them picks its own nonce.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"stagemeld/v1"
KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16


class CryptoError(Exception):
    """Decryption or authentication failed: wrong key, or data moved or altered."""


def associated_data(*parts: str | bytes) -> bytes:
    """Associated data / labels: the version, then each part length-prefixed.

    Length prefixes make the encoding injective: ("r1|x", "y") and ("r1", "x|y") can
    never produce the same bytes, whatever characters ids contain.
    """
    out = [VERSION]
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        out.append(len(raw).to_bytes(4, "big") + raw)
    return b"".join(out)


def new_key() -> bytes:
    """A fresh random 256-bit key: every key and secret the room makes starts here."""
    return os.urandom(KEY_LEN)


def new_nonce() -> bytes:
    """A fresh random 96-bit nonce (random per message, never reused under a key)."""
    return os.urandom(NONCE_LEN)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce (12) || AES-256-GCM(plaintext || tag)."""
    nonce = new_nonce()
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Inverse of `seal`; a wrong key, label or any altered byte is a CryptoError."""
    if len(blob) < NONCE_LEN + TAG_LEN:
        raise CryptoError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot decrypt") from exc
