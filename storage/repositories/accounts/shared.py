"""What enrolment, login and recovery share: the repository's settings, the sealed TOTP
secret, and unlocking a protected key (with a decoy for unknown advisers).

The private key is unlocked only by the adviser's passphrase (or their recovery code),
in memory, for the caller to keep for the session; nothing here writes it anywhere.
The TOTP secret is sealed with the server key because the server has to check codes.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import aead, hpke_seal, private_keys, tokens
from storage.crypto.kdf_thread import in_kdf_thread
from storage.crypto.keys import KeyStore
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.clock import Clock, utcnow
from storage.db.models import AdviserAccount

TOTP_PURPOSE = "adviser-totp"


def _totp_purpose(adviser_id: str) -> str:
    return f"{TOTP_PURPOSE}:{adviser_id}"


class AccountsBase:
    """The settings and helpers every part of `Accounts` uses."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: KeyStore,
        clock: Clock = utcnow,
        *,
        max_failures: int = 5,
        lock: timedelta = timedelta(minutes=15),
        link_valid: timedelta = timedelta(hours=72),
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        self.max_failures = max_failures
        self.lock = lock
        self.link_valid = link_valid
        self._decoy: bytes | None = None

    def _seal_totp(self, adviser_id: str, secret: str) -> bytes:
        return self.keys.server.seal_value(secret.encode(), purpose=_totp_purpose(adviser_id))

    def _open_totp(self, account: AdviserAccount) -> str:
        purpose = _totp_purpose(account.adviser_id)
        return self.keys.server.open_value(account.totp_sealed, purpose=purpose).decode()

    async def _decoy_unlock(self, secret: str) -> None:
        """The same Argon2id work as a real login, so a wrong e-mail address takes as long
        as a wrong passphrase: response times must not tell who is an adviser."""
        if self._decoy is None:
            self._decoy = await in_kdf_thread(
                private_keys.protect_private_key,
                hpke_seal.generate_keypair()[0],
                tokens.new_token(),
                self.keys.kdf,
            )
        await self._unlock(self._decoy, secret)

    async def _unlock(self, blob: bytes, secret: str) -> X25519PrivateKey | None:
        try:
            return await in_kdf_thread(private_keys.unprotect_private_key, blob, secret)
        except aead.CryptoError:
            return None
