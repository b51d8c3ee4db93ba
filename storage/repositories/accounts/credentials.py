"""What an adviser's account is made of and the answers its repository gives.

The values enrolment, login and recovery share: `NewCredentials` (made before anything
is stored), `LoggedIn`, and `LoginRefused` — errors an adviser can cause are values
with a code, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.crypto import hpke_seal, kdf, private_keys, second_factor
from storage.crypto.private_keys import X25519PrivateKey

MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class LoginRefused:
    """Why not, as a message key for the console: bad_link, wrong, locked, exists, …"""

    code: str
    failures: int = 0  # failed attempts so far, so the caller can slow down
    locked_until: datetime | None = None


@dataclass(frozen=True)
class NewCredentials:
    """Made before the adviser confirms a TOTP code; nothing is stored until then.

    Holds protected key blobs and the new secrets the adviser must see once; never the
    passphrase and never the unprotected private key.
    """

    public_key: bytes
    protected_private_key: bytes
    recovery_protected_key: bytes
    totp_secret: str
    recovery_code: str


@dataclass(frozen=True)
class LoggedIn:
    adviser_id: str
    private_key: X25519PrivateKey


def make_credentials(
    passphrase: str, params: kdf.KdfParams, private: X25519PrivateKey | None = None
) -> NewCredentials:
    """Blocking (two Argon2id runs): call it from a thread. A new key pair unless one is
    given (recovery keeps the old pair, because reports are sealed to it)."""
    if private is None:
        private, _ = hpke_seal.generate_keypair()
    recovery_code = second_factor.new_recovery_code()
    return NewCredentials(
        public_key=hpke_seal.public_bytes(private),
        protected_private_key=private_keys.protect_private_key(private, passphrase, params),
        recovery_protected_key=private_keys.protect_private_key(private, recovery_code, params),
        totp_secret=second_factor.new_totp_secret(),
        recovery_code=recovery_code,
    )
