"""A console session's keys, all derived from its cookie token.

A signed-in adviser's unlocked private key is stored in the database, sealed under a
key derived from the session's cookie token, which is stored nowhere on the server: a
copy of the database (or of its backups) holds only the token's hash and a ciphertext
no key on the server opens. Any replica that is handed the cookie can open it.
"""

from __future__ import annotations

import base64
import hashlib

from storage.crypto.aead import associated_data, seal, unseal
from storage.crypto.kdf import subkey
from storage.crypto.private_keys import (
    X25519PrivateKey,
    private_key_bytes,
)


def session_lookup(token: str) -> bytes:
    """What the database finds a console session by: a hash, never the token itself."""
    return hashlib.sha256(associated_data("console-session-id", token)).digest()


def session_csrf(token: str) -> str:
    """The session's CSRF token: derived from the cookie's, so every replica agrees on it
    without storing it, and a page's form token never reveals the cookie's."""
    return base64.urlsafe_b64encode(subkey(token.encode(), "console-csrf")).decode().rstrip("=")


def seal_session_key(token: str, private: X25519PrivateKey, *, adviser_id: str) -> bytes:
    """The adviser's private key, sealed for this session and this adviser only."""
    return seal(
        subkey(token.encode(), "console-session-key"),
        private_key_bytes(private),
        associated_data("console-session", adviser_id),
    )


def open_session_key(token: str, blob: bytes, *, adviser_id: str) -> X25519PrivateKey:
    """CryptoError if the token or adviser is not the one it was sealed for."""
    raw = unseal(
        subkey(token.encode(), "console-session-key"),
        blob,
        associated_data("console-session", adviser_id),
    )
    return X25519PrivateKey.from_private_bytes(raw)
