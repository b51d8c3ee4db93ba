"""Logging in: a passphrase and a TOTP code of a step not used before; both or nothing."""

from __future__ import annotations

from sqlalchemy import update

from storage.crypto import second_factor
from storage.db.models import AdviserAccount, AdviserKey
from storage.db.rows import rowcount
from storage.repositories import audit
from storage.repositories.accounts.credentials import LoggedIn, LoginRefused
from storage.repositories.accounts.lockout import LockOut


class LoggingIn(LockOut):
    """Logging in and out; every attempt counted by `LockOut` first."""

    async def login(self, adviser_id: str, passphrase: str, code: str) -> LoggedIn | LoginRefused:
        """Passphrase and a TOTP code of a step not used before; both or nothing."""
        now = self.clock()
        async with self.sessions() as session:
            account = await session.get(AdviserAccount, adviser_id)
            key = await session.get(AdviserKey, adviser_id)
        if account is None or key is None:
            await self._decoy_unlock(passphrase)
            return LoginRefused("wrong")
        refused = await self._claim(adviser_id, now)
        if refused is not None:
            return refused
        step = second_factor.totp_step(self._open_totp(account), code, now)
        private = await self._unlock(key.protected_private_key, passphrase)
        if step is None or step <= account.totp_last_step or private is None:
            return await self._failed(adviser_id, now)
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(AdviserAccount)
                .where(
                    AdviserAccount.adviser_id == adviser_id,
                    AdviserAccount.totp_last_step < step,
                )
                .values(totp_last_step=step, failed_logins=0, locked_until=None, last_login_at=now)
            )
            if rowcount(result) != 1:  # the same code used at the same moment elsewhere
                return LoginRefused("wrong")
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=adviser_id,
                action="login",
                org_id=key.org_id,
            )
        return LoggedIn(adviser_id, private)

    async def logout(self, adviser_id: str, org_id: str | None) -> None:
        async with self.sessions() as session, session.begin():
            await audit.append(
                session,
                self.keys.server,
                at=self.clock(),
                actor=adviser_id,
                action="logout",
                org_id=org_id,
            )
