"""One-time enrolment links: issuing one (the operator's act), and checking one.

A link's token is shown once and only its hash is stored, with a MAC under the server's
"enrolment-link" sub-key over (token hash, adviser id, expiry, re-enrolment flag). Only
a holder of keys.dir — the command line `stagemeld adviser add` — makes a row that
checks out; a row written in the database alone enrols nobody.

Whether an adviser ever held a key is read from the audit chain (`audit_enrolments`),
never from `adviser_keys`/`adviser_accounts`, whose rows a database writer can delete:
a first-enrolment link is refused for an adviser the chain shows with a key, and only a
re-enrolment link (the operator's explicit `--re-enrol`) gives them a new key pair.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import tokens
from storage.crypto.server_key import mac_matches
from storage.db.models import AdviserAccount, AdviserKey, Enrolment
from storage.repositories import audit, audit_enrolments
from storage.repositories.accounts.credentials import LoginRefused
from storage.repositories.accounts.shared import AccountsBase

log = logging.getLogger(__name__)


class Linking(AccountsBase):
    """Issuing and checking one-time enrolment links."""

    async def create_link(self, adviser_id: str, *, reenrol: bool = False) -> str | LoginRefused:
        """A one-time token for the enrolment page; only its hash is stored. Also for an
        adviser keyed by the operator whose account is not set up yet (a new link).
        `reenrol`: the operator approved a new key pair for an adviser who held one (an
        account left without its key is replaced when the link is used)."""
        async with self.sessions() as session, session.begin():
            if await session.get(AdviserAccount, adviser_id) is not None and not (
                reenrol and await session.get(AdviserKey, adviser_id) is None
            ):
                return LoginRefused("exists")
            now = self.clock()
            token = self._add_link(session, adviser_id, now, reenrol)
            await audit.append(
                session,
                self.keys.server,
                at=now,
                actor=audit_enrolments.SYSTEM,
                action=audit_enrolments.link_action(reenrol=reenrol, keyed=False),
                detail=adviser_id,
            )
        return token

    def _add_link(
        self, session: AsyncSession, adviser_id: str, now: datetime, reenrol: bool
    ) -> str:
        """A new one-time enrolment link in the caller's transaction: only its hash is
        stored, with its MAC; the token goes to whoever hands the link to the adviser."""
        token = tokens.new_token()
        digest = tokens.token_hash(token)
        expires_at = now + self.link_valid
        session.add(
            Enrolment(
                token_hash=digest,
                adviser_id=adviser_id,
                expires_at=expires_at,
                reenrol=reenrol,
                mac=self.keys.server.enrolment_mac(digest, adviser_id, expires_at, reenrol),
            )
        )
        return token

    async def link_adviser(self, token: str) -> str | None:
        """Whose link this is, if it is unused, unexpired and checks out."""
        found = await self.link_check(token)
        return found if isinstance(found, str) else None

    async def link_check(self, token: str) -> str | LoginRefused:
        """Whose link this is; or why not: bad_link (unknown, used, expired),
        not_authentic (its row fails its MAC: written in the database), held_key (a
        first-enrolment link for an adviser who held a key: re-enrolment needs the
        operator's `--re-enrol`)."""
        async with self.sessions() as session:
            row = await session.get(Enrolment, tokens.token_hash(token))
            refused = await self._link_refused(session, row)
        if refused is not None or row is None:
            return refused or LoginRefused("bad_link")
        return row.adviser_id

    async def _link_refused(
        self, session: AsyncSession, row: Enrolment | None
    ) -> LoginRefused | None:
        """Why this link enrols nobody, or None; the caller's transaction, so `enrol`
        checks again what it is about to use."""
        if row is None or row.used_at is not None or row.expires_at <= self.clock():
            return LoginRefused("bad_link")
        expected = self.keys.server.enrolment_mac(
            row.token_hash, row.adviser_id, row.expires_at, row.reenrol
        )
        if not mac_matches(expected, row.mac):
            log.error(
                "enrolment link for adviser %s fails its MAC (written in the database, or "
                "issued before links were authenticated); refused: issue a new one with "
                "`stagemeld adviser add`",
                row.adviser_id,
            )
            return LoginRefused("not_authentic")
        # Only now, for a link the operator issued, the audit log is consulted.
        if row.reenrol or await session.get(AdviserKey, row.adviser_id) is not None:
            return None  # approved by the operator, or their key is there (checked later)
        held = await audit_enrolments.first_key_entry(session, row.adviser_id)
        if held is not None:
            log.error(
                "enrolment link for adviser %s refused: they held a key (audit entry no. %d)"
                " that is no longer in the database; a new key pair needs the operator's "
                "`stagemeld adviser add --re-enrol`",
                row.adviser_id,
                held,
            )
            return LoginRefused("held_key")
        return None
