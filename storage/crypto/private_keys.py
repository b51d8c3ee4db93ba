"""Private keys at rest: raw bytes, the recovery key on paper, an adviser's under a
passphrase.

`X25519PrivateKey` is named from here by the rest of the code (it holds and passes such
keys, never uses one itself), so no module outside the crypto room imports
`cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import asdict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey as X25519PrivateKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.crypto.aead import KEY_LEN, NONCE_LEN, CryptoError, associated_data, new_nonce
from storage.crypto.kdf import KdfParams, argon2id, new_salt

RECOVERY_HEADER = "stagemeld-recovery-key-v1"
_RECOVERY_CHECKSUM = 4
_PROTECTED_VERSION = 1
# A protected key names its own Argon2id cost; refuse absurd costs so that a tampered
# row cannot make the console allocate gigabytes or spin for minutes.
_MAX_ITERATIONS = 64
_MAX_LANES = 64
_MAX_MEMORY_KIB = 4 * 1024 * 1024


def private_key_bytes(private: X25519PrivateKey) -> bytes:
    """Raw 32 bytes, for a private key that is itself stored encrypted (a report's key)."""
    return private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def private_key_from_bytes(raw: bytes) -> X25519PrivateKey:
    if len(raw) != KEY_LEN:
        raise CryptoError("a private key is 32 bytes")
    return X25519PrivateKey.from_private_bytes(raw)


def _checksum(raw: bytes) -> bytes:
    return hashlib.sha256(associated_data("recovery-text", raw)).digest()[:_RECOVERY_CHECKSUM]


def private_key_to_text(private: X25519PrivateKey) -> str:
    """The recovery key for paper: one line, a header then base32 in groups of four.

    Base32 survives handwriting (no case, no 0/O 1/l confusion in its alphabet) and a
    short checksum turns a typo into a clear error instead of a key that opens nothing.
    """
    raw = private_key_bytes(private)
    body = base64.b32encode(raw + _checksum(raw)).decode().rstrip("=")
    groups = " ".join(body[i : i + 4] for i in range(0, len(body), 4))
    return f"{RECOVERY_HEADER}: {groups}"


def private_key_from_text(text: str) -> X25519PrivateKey:
    """Inverse of `private_key_to_text`; tolerant of spaces, line breaks, dashes, case."""
    compact = "".join(text.split())
    if compact.lower().startswith(RECOVERY_HEADER):
        compact = compact[len(RECOVERY_HEADER) :].removeprefix(":")
    body = compact.replace("-", "").upper()
    try:
        decoded = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("not a stagemeld recovery key") from exc
    raw, check = decoded[:KEY_LEN], decoded[KEY_LEN:]
    if len(raw) != KEY_LEN or not hmac.compare_digest(check, _checksum(raw)):
        raise CryptoError("recovery key mistyped (checksum does not match)")
    return X25519PrivateKey.from_private_bytes(raw)


def _protect_header(params: KdfParams, salt: bytes, nonce: bytes) -> dict[str, object]:
    return {
        "v": _PROTECTED_VERSION,
        "kdf": asdict(params),
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
    }


def _header_aad(header: dict[str, object]) -> bytes:
    # The whole header is authenticated: cost, salt and nonce cannot be swapped.
    return associated_data("adviser-key", json.dumps(header, sort_keys=True, separators=(",", ":")))


def protect_private_key(private: X25519PrivateKey, passphrase: str, params: KdfParams) -> bytes:
    """A self-describing JSON blob: version, Argon2id params, salt, nonce, ciphertext."""
    salt, nonce = new_salt(), new_nonce()
    header = _protect_header(params, salt, nonce)
    key = argon2id(passphrase.encode(), salt, params)
    ct = AESGCM(key).encrypt(nonce, private_key_bytes(private), _header_aad(header))
    blob = {**header, "ct": base64.b64encode(ct).decode()}
    return json.dumps(blob, sort_keys=True).encode()


def _parse_protected(blob: bytes) -> tuple[KdfParams, bytes, bytes, bytes]:
    try:
        envelope = json.loads(blob)
        if envelope["v"] != _PROTECTED_VERSION:
            raise CryptoError(f"unknown protected-key version {envelope['v']!r}")
        params = KdfParams(**envelope["kdf"])
        salt = base64.b64decode(envelope["salt"], validate=True)
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        ct = base64.b64decode(envelope["ct"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise CryptoError("not a protected key") from exc
    sane = (
        params.iterations <= _MAX_ITERATIONS
        and params.lanes <= _MAX_LANES
        and params.memory_kib <= _MAX_MEMORY_KIB
        and len(salt) >= 8
        and len(nonce) == NONCE_LEN
    )
    if not sane:
        raise CryptoError("protected key has implausible parameters")
    return params, salt, nonce, ct


def unprotect_private_key(blob: bytes, passphrase: str) -> X25519PrivateKey:
    """Blocking (Argon2id): call it from a thread. CryptoError on a wrong passphrase."""
    params, salt, nonce, ct = _parse_protected(blob)
    key = argon2id(passphrase.encode(), salt, params)
    try:
        raw = AESGCM(key).decrypt(nonce, ct, _header_aad(_protect_header(params, salt, nonce)))
    except InvalidTag as exc:
        raise CryptoError("wrong passphrase") from exc
    return X25519PrivateKey.from_private_bytes(raw)
