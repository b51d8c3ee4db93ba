"""Who else may read a report: a colleague, another organization instead of this one
(move), another organization as well (add), and undoing a hand-over (hand back).

Access is the sealed data key, so every hand-over seals the key to the new advisers
(only those whose stored key checks out: a key swapped in the database gets nothing)
and, where an organization gives the report up, deletes its advisers' copies. Whether
the student's choice allows the organization is the caller's policy; what happened to
whom is the audit entry, and the student is told in words that fit (a thread event:
moved, added, handed back)."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import crypto
from storage.crypto import thread
from storage.crypto.sealed_keys import (
    ADVISER,
    report_recipients,
    sealed_copy_row,
    verified_recipients,
)
from storage.db.models import AdviserKey, SealedKey
from storage.repositories.cases.access import Access, CaseStore, for_change
from storage.repositories.cases.actions import push_target
from storage.repositories.cases.views import CaseRefused
from storage.repositories.outbox import notification_rows
from storage.repositories.reports import Recipient
from vocabulary import ThreadEvent

Notify = Sequence[tuple[str, str]]  # (adviser id, channel)


class CaseHandovers(CaseStore):
    async def hand_over_colleague(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        colleague: Recipient,
        channels: Sequence[str] = (),
    ) -> CaseRefused | None:
        """Seal the data key to a colleague too (the organization keeps it)."""
        if colleague.adviser_id == adviser_id:
            return CaseRefused("self")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            report = found.report
            if not await _seal_to(session, self.server, report_id, found.data_key, (colleague,)):
                return CaseRefused("key_not_authentic")
            event = ThreadEvent.HANDOVER_COLLEAGUE
            session.add(thread.event_message(report_id, event, now, adviser_id))
            targets = [(colleague.adviser_id, c) for c in channels]
            session.add_all(notification_rows(report_id, targets, "handed_over", now))
            report.updated_at = now
            news = await push_target(session, report_id, found.data_key)
            detail = colleague.adviser_id
            await self._audit(session, adviser_id, report, "handover_colleague", detail, now)
        self._tell(news)
        return None

    async def hand_over_org(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        org_id: str,
        recipients: Sequence[Recipient],
        notify: Notify = (),
    ) -> CaseRefused | None:
        """Move: re-seal the data key to another organization's advisers and take it away
        from every adviser of the handing adviser's organization (the recovery copy
        stays). The receiving organization may hand it back (`hand_back`)."""
        if not recipients:
            return CaseRefused("no_recipients")
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            report = found.report
            from_org = await _org_of(session, adviser_id)
            if from_org is None or from_org == org_id:
                return CaseRefused("same_org")
            if not await _seal_to(session, self.server, report_id, found.data_key, recipients):
                # Not one of them has a key that checks out: taking the report away from
                # this organization would leave it to no adviser at all.
                return CaseRefused("key_not_authentic")
            await _unseal_org(session, report_id, from_org)
            if report.org_id == from_org:
                report.org_id, report.handed_from_org_id = org_id, from_org
            event, detail = ThreadEvent.HANDOVER_ORG, org_id
            news = await self._handed(session, adviser_id, found, event, notify, detail, from_org)
        self._tell(news)
        return None

    async def add_org(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        org_id: str,
        recipients: Sequence[Recipient],
        notify: Notify = (),
    ) -> CaseRefused | None:
        """Add: seal the data key to another organization's advisers as well; this one
        keeps it (both read and act). The report stays with its organization for the
        deadlines; the added one may step back with `hand_back`."""
        if not recipients:
            return CaseRefused("no_recipients")
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            from_org = await _org_of(session, adviser_id)
            if from_org is None or from_org == org_id:
                return CaseRefused("same_org")
            have = set(await report_recipients(session, report_id))
            if all(r.adviser_id in have for r in recipients):
                return CaseRefused("already_reads")
            if not await _seal_to(session, self.server, report_id, found.data_key, recipients):
                return CaseRefused("key_not_authentic")
            event, detail = ThreadEvent.HANDOVER_ORG_ADDED, org_id
            news = await self._handed(session, adviser_id, found, event, notify, detail, from_org)
        self._tell(news)
        return None

    async def hand_back(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        recipients: Sequence[Recipient] = (),
        notify: Notify = (),
    ) -> CaseRefused | None:
        """Undo a hand-over, from the receiving side; this organization loses access.

        - An organization that reads the report beside its own organization (added, or
          routed there as well) steps back: its copies go, the others keep theirs.
        - An organization the report was moved to returns it to the one that moved it:
          the key is sealed to that organization's advisers in `recipients` (only theirs
          count) and `org_id` goes back.
        """
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            report = found.report
            mine = await _org_of(session, adviser_id)
            if mine is None:
                return CaseRefused("not_found")
            if report.org_id != mine:
                if not await _readers_outside(session, report_id, mine):
                    return CaseRefused("last_reader")
                back_to = report.org_id or ""
            elif report.handed_from_org_id is not None:
                back_to = report.handed_from_org_id
                theirs = await _of_org(session, recipients, back_to)
                if not theirs:
                    return CaseRefused("no_recipients")
                if not await _seal_to(session, self.server, report_id, found.data_key, theirs):
                    return CaseRefused("key_not_authentic")
                report.org_id, report.handed_from_org_id = back_to, None
            else:
                return CaseRefused("nothing_to_hand_back")
            await _unseal_org(session, report_id, mine)
            event = ThreadEvent.HANDED_BACK
            news = await self._handed(session, adviser_id, found, event, notify, back_to, mine)
        self._tell(news)
        return None

    async def _handed(
        self,
        session: AsyncSession,
        adviser_id: str,
        found: Access,
        event: ThreadEvent,
        notify: Notify,
        detail: str,
        from_org: str,
    ) -> str | None:
        """What every organization hand-over writes: the student's event, the notices to
        the receiving advisers, the audit entry (detail: the other organization's id);
        returns where to nudge the student."""
        now, report = self.clock(), found.report
        report.updated_at = now
        session.add(thread.event_message(report.id, event, now, adviser_id))
        session.add_all(notification_rows(report.id, notify, "handed_over", now))
        await self._audit(session, adviser_id, report, str(event), detail, now, from_org)
        return await push_target(session, report.id, found.data_key)


async def _org_of(session: AsyncSession, adviser_id: str) -> str | None:
    found: str | None = await session.scalar(
        select(AdviserKey.org_id).where(AdviserKey.adviser_id == adviser_id)
    )
    return found


async def _readers_outside(session: AsyncSession, report_id: str, org_id: str) -> bool:
    """Whether an enrolled adviser of another organization can open the report."""
    other = await session.scalar(
        select(SealedKey.id)
        .join(AdviserKey, AdviserKey.adviser_id == SealedKey.recipient_id)
        .where(
            SealedKey.report_id == report_id,
            SealedKey.recipient_kind == ADVISER,
            AdviserKey.org_id != org_id,
        )
        .limit(1)
    )
    return other is not None


async def _of_org(
    session: AsyncSession, recipients: Sequence[Recipient], org_id: str
) -> list[Recipient]:
    """The recipients whose key is stored under that organization (the caller's list is
    not taken on trust for where a report goes back to)."""
    ids = set(
        await session.scalars(
            select(AdviserKey.adviser_id).where(
                AdviserKey.org_id == org_id,
                AdviserKey.adviser_id.in_([r.adviser_id for r in recipients]),
            )
        )
    )
    return [r for r in recipients if r.adviser_id in ids]


async def _seal_to(
    session: AsyncSession,
    server: crypto.ServerKey,
    report_id: str,
    data_key: bytes,
    recipients: Sequence[Recipient],
) -> bool:
    """Seal to those recipients whose stored key checks out (a key swapped in the
    database is refused and logged, never sealed to). False when none does."""
    readers = await verified_recipients(
        session, server, [(r.adviser_id, r.public_key) for r in recipients]
    )
    have = set(await report_recipients(session, report_id))
    for adviser_id, public_key in readers:
        if adviser_id not in have:
            session.add(sealed_copy_row(data_key, report_id, ADVISER, adviser_id, public_key))
    return bool(readers)


async def _unseal_org(session: AsyncSession, report_id: str, org_id: str) -> None:
    """Delete the copies sealed to every adviser of that organization."""
    leaving = select(AdviserKey.adviser_id).where(AdviserKey.org_id == org_id)
    await session.execute(
        delete(SealedKey).where(
            SealedKey.report_id == report_id,
            SealedKey.recipient_kind == ADVISER,
            SealedKey.recipient_id.in_(leaving),
        )
    )
