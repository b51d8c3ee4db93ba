"""Enrolling an adviser: the first credentials, and storing them.

The links themselves are `links`; the key pair, the protected private key and the
account (TOTP, recovery code) are stored only once the adviser confirms a TOTP code on
a link that checks out, or at once by the operator's command line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import second_factor, tokens
from storage.crypto.kdf_thread import in_kdf_thread
from storage.db.models import AdviserAccount, AdviserKey, Enrolment
from storage.repositories import audit, audit_enrolments
from storage.repositories.accounts.credentials import (
    MIN_PASSPHRASE,
    LoginRefused,
    NewCredentials,
    make_credentials,
)
from storage.repositories.accounts.links import Linking


class Enrolling(Linking):
    """First credentials, and storing key pair and account (links: `Linking`)."""

    async def prepare(
        self, passphrase: str, *, current: str | None = None, adviser_id: str = ""
    ) -> NewCredentials | LoginRefused:
        """New credentials for the enrolment page. `current`: the adviser already has a
        key (the operator made it with `adviser add --passphrase-stdin`); the passphrase
        they were given opens it, and the new one, TOTP and recovery code protect it."""
        if len(passphrase) < MIN_PASSPHRASE:
            return LoginRefused("short_passphrase")
        if current is None:
            return await in_kdf_thread(make_credentials, passphrase, self.keys.kdf)
        async with self.sessions() as session:
            key = await session.get(AdviserKey, adviser_id)
        private = await self._unlock(key.protected_private_key, current) if key else None
        if private is None:
            return LoginRefused("wrong_current")
        return await in_kdf_thread(make_credentials, passphrase, self.keys.kdf, private)

    async def key_without_account(self, adviser_id: str) -> bool:
        """Keyed by the operator, the account (TOTP, recovery code) still to be set up."""
        async with self.sessions() as session:
            key = await session.get(AdviserKey, adviser_id)
            return key is not None and await session.get(AdviserAccount, adviser_id) is None

    async def key_with_link(
        self,
        adviser_id: str,
        org_id: str,
        public_key: bytes,
        protected_private_key: bytes,
        *,
        reenrol: bool = False,
    ) -> str | LoginRefused:
        """`adviser add --passphrase-stdin`: the key pair now (reports are sealed to it from
        this moment), and a one-time link where the adviser alone sets up the account.
        The TOTP secret and the recovery code are made on that page and shown there only:
        the operator, who chose the passphrase, never holds a second factor."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if await session.get(AdviserKey, adviser_id) is not None:
                return LoginRefused("exists")
            self._store_key(session, adviser_id, org_id, public_key, protected_private_key, now)
            token = self._add_link(session, adviser_id, now, reenrol)
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=audit_enrolments.SYSTEM,
                action=audit_enrolments.link_action(reenrol=reenrol, keyed=True),
                org_id=org_id,
                detail=adviser_id,
            )
        return token

    async def enrol(
        self, token: str, org_id: str, new: NewCredentials, code: str
    ) -> str | LoginRefused:
        """Uses the link, stores key pair and account; returns the adviser id."""
        now = self.clock()
        step = second_factor.totp_step(new.totp_secret, code, now)
        if step is None:
            return LoginRefused("wrong_code")
        async with self.sessions() as session, session.begin():
            link = await session.get(Enrolment, tokens.token_hash(token), with_for_update=True)
            refused = await self._link_refused(session, link)
            if refused is not None or link is None:
                return refused or LoginRefused("bad_link")
            key = await session.get(AdviserKey, link.adviser_id, with_for_update=True)
            if key is not None:
                # Keyed by the operator: only the account is new, for the same key pair.
                account = await session.get(AdviserAccount, link.adviser_id)
                if account is not None or key.public_key != new.public_key:
                    return LoginRefused("exists")
                key.protected_private_key = new.protected_private_key
                self._store_account(session, link.adviser_id, new, step, now)
            else:
                if link.reenrol:  # an account left without its key: useless, replaced
                    await session.execute(
                        delete(AdviserAccount).where(AdviserAccount.adviser_id == link.adviser_id)
                    )
                self._store(session, link.adviser_id, org_id, new, step, now)
            link.used_at = now
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=link.adviser_id,
                action=audit_enrolments.ENROL,
                org_id=org_id,
            )
            return link.adviser_id

    async def enrol_directly(
        self, adviser_id: str, org_id: str, new: NewCredentials
    ) -> LoginRefused | None:
        """Without a link, for the operator's command line and the demo."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            if await session.get(AdviserKey, adviser_id) is not None:
                return LoginRefused("exists")
            self._store(session, adviser_id, org_id, new, 0, now)
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=audit_enrolments.SYSTEM,
                action=audit_enrolments.ENROL,
                org_id=org_id,
                detail=adviser_id,
            )
        return None

    def _store(
        self,
        session: AsyncSession,
        adviser_id: str,
        org_id: str,
        new: NewCredentials,
        step: int,
        now: datetime,
    ) -> None:
        self._store_key(session, adviser_id, org_id, new.public_key, new.protected_private_key, now)
        self._store_account(session, adviser_id, new, step, now)

    def _store_key(
        self,
        session: AsyncSession,
        adviser_id: str,
        org_id: str,
        public_key: bytes,
        protected_private_key: bytes,
        now: datetime,
    ) -> None:
        session.add(
            AdviserKey(
                adviser_id=adviser_id,
                org_id=org_id,
                public_key=public_key,
                key_mac=self.keys.server.adviser_key_mac(adviser_id, org_id, public_key),
                protected_private_key=protected_private_key,
                created_at=now,
            )
        )

    def _store_account(
        self, session: AsyncSession, adviser_id: str, new: NewCredentials, step: int, now: datetime
    ) -> None:
        session.add(
            AdviserAccount(
                adviser_id=adviser_id,
                totp_sealed=self._seal_totp(adviser_id, new.totp_secret),
                totp_last_step=step,
                recovery_protected_key=new.recovery_protected_key,
                failed_logins=0,
                enrolled_at=now,
            )
        )
