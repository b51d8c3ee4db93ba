"""The account-wide lock-out: failed logins and recovery attempts counted in the database.

Claimed before any Argon2id work, so parallel attempts cannot all slip past the count;
the last allowed failure locks the account for a while. Login and recovery both count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update

from storage.db.models import AdviserAccount
from storage.db.rows import rowcount
from storage.repositories import audit
from storage.repositories.accounts.credentials import LoginRefused
from storage.repositories.accounts.shared import AccountsBase


class LockOut(AccountsBase):
    """Claiming an attempt before its work, and locking after the last allowed failure."""

    async def _claim(self, adviser_id: str, now: datetime) -> LoginRefused | None:
        """Count this attempt as a failure *before* its Argon2id work, in one statement:
        of any number of parallel attempts at most `max_failures` are evaluated (a
        success takes its count back). The attempt that finds the count full starts the
        lock, so a crash between claim and answer cannot leave an account stuck."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(AdviserAccount)
                .where(
                    AdviserAccount.adviser_id == adviser_id,
                    or_(AdviserAccount.locked_until.is_(None), AdviserAccount.locked_until <= now),
                    AdviserAccount.failed_logins < self.max_failures,
                )
                .values(failed_logins=AdviserAccount.failed_logins + 1)
            )
            if rowcount(result) == 1:
                return None
            account = await session.get(AdviserAccount, adviser_id, with_for_update=True)
            if account is None:  # an unknown id (the decoy path) or removed meanwhile
                return LoginRefused("wrong")
            if account.locked_until is None or account.locked_until <= now:
                account.locked_until, account.failed_logins = now + self.lock, 0
                await audit.append(
                    session, self.keys.server, at=now, actor=adviser_id, action="login_locked"
                )
            return LoginRefused("locked", self.max_failures, account.locked_until)

    async def _failed(self, adviser_id: str, now: datetime) -> LoginRefused:
        """The attempt was counted by `_claim`; the last allowed failure locks the
        account for a while."""
        async with self.sessions() as session, session.begin():
            account = await session.get(AdviserAccount, adviser_id, with_for_update=True)
            if account is None:  # removed since the attempt began: as for an unknown one
                return LoginRefused("wrong")
            failures = account.failed_logins  # this attempt was counted by `_claim`
            locked_until = None
            unlocked = account.locked_until is None or account.locked_until <= now
            if failures >= self.max_failures and unlocked:
                locked_until, account.locked_until, account.failed_logins = (
                    now + self.lock,
                    now + self.lock,
                    0,
                )
            action = "login_locked" if locked_until else "login_failed"
            await audit.append(session, self.keys.server, at=now, actor=adviser_id, action=action)
        if locked_until is not None:
            return LoginRefused("locked", self.max_failures, locked_until)
        return LoginRefused("wrong", failures)
