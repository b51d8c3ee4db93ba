"""Recovery: the adviser's recovery code opens their key; new passphrase, TOTP and
recovery code are made for it (the key pair stays: reports are sealed to it)."""

from __future__ import annotations

from storage.crypto import second_factor
from storage.crypto.kdf_thread import in_kdf_thread
from storage.db.models import AdviserAccount, AdviserKey
from storage.repositories import audit
from storage.repositories.accounts.credentials import (
    MIN_PASSPHRASE,
    LoginRefused,
    NewCredentials,
    make_credentials,
)
from storage.repositories.accounts.lockout import LockOut


class Recovering(LockOut):
    """Recovery by the recovery code; a wrong code counts as a failed login."""

    async def begin_recovery(
        self, adviser_id: str, recovery_code: str, new_passphrase: str
    ) -> NewCredentials | LoginRefused:
        """The recovery code opens the key; new passphrase, TOTP and recovery code are
        made for it (the key pair stays: reports are sealed to it). A wrong code counts
        as a failed login."""
        if len(new_passphrase) < MIN_PASSPHRASE:
            return LoginRefused("short_passphrase")
        now = self.clock()
        async with self.sessions() as session:
            account = await session.get(AdviserAccount, adviser_id)
        if account is None:
            await self._decoy_unlock(recovery_code)
            return LoginRefused("wrong")
        refused = await self._claim(adviser_id, now)
        if refused is not None:
            return refused
        code = second_factor.normalize_recovery_code(recovery_code)
        private = await self._unlock(account.recovery_protected_key, code)
        if private is None:
            return await self._failed(adviser_id, now)
        return await in_kdf_thread(make_credentials, new_passphrase, self.keys.kdf, private)

    async def complete_recovery(
        self, adviser_id: str, new: NewCredentials, code: str
    ) -> LoginRefused | None:
        now = self.clock()
        step = second_factor.totp_step(new.totp_secret, code, now)
        if step is None:
            return LoginRefused("wrong_code")
        async with self.sessions() as session, session.begin():
            account = await session.get(AdviserAccount, adviser_id, with_for_update=True)
            key = await session.get(AdviserKey, adviser_id, with_for_update=True)
            if account is None or key is None or key.public_key != new.public_key:
                return LoginRefused("wrong")
            key.protected_private_key = new.protected_private_key
            account.totp_sealed = self._seal_totp(adviser_id, new.totp_secret)
            account.totp_last_step = step
            account.recovery_protected_key = new.recovery_protected_key
            account.failed_logins = 0
            account.locked_until = None
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=adviser_id,
                action="recovered",
                org_id=key.org_id,
            )
        return None
