"""Who else may read a report: a colleague, another organization instead of this one
(move), another organization as well (add), and undoing a hand-over (hand back).

Access is the sealed data key, so every hand-over seals the key to the new advisers (only
those whose stored key checks out) and, where an organization gives the
report up, deletes its advisers' copies. Whether the student's choice allows the
organization is the caller's policy; what happened to whom is the audit entry, and the
student is told in words that fit (a thread event: moved, added, handed back).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import proofs, thread
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import (
    ADVISER,
    report_recipients,
    sealed_copy_row,
    verified_recipients,
)
from storage.db.models import AdviserKey, Report, SealedKey
from storage.repositories.cases.access import (
    CaseStore,
    Change,
    Refused,
    consent_altered,
    refusals,
)
from storage.repositories.cases.actions import push_target
from storage.repositories.outbox import notification_rows
from storage.repositories.reports import Recipient
from vocabulary import ThreadEvent

Notify = Sequence[tuple[str, str]]  # (adviser id, channel)


class CaseHandovers:
    """`cases.handovers`: to a colleague, moving, adding an organization, handing back."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    @refusals
    async def to_colleague(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        colleague: Recipient,
        channels: Sequence[str] = (),
    ) -> None:
        """Seal the data key to a colleague too (the organization keeps it)."""
        if colleague.adviser_id == adviser_id:
            raise Refused("self")
        async with self.store.change(adviser_id, private, report_id) as change:
            session, report, now = change.session, change.report, change.now
            await self._seal_to(change, (colleague,))
            event = ThreadEvent.HANDOVER_COLLEAGUE
            self.store.add_entry(session, thread.event_message(report_id, event, now, adviser_id))
            targets = [(colleague.adviser_id, c) for c in channels]
            session.add_all(notification_rows(report_id, targets, "handed_over", now))
            report.updated_at = now
            change.news = await push_target(session, report_id, change.data_key)
            detail = colleague.adviser_id
            await self.store.write_audit(
                session, adviser_id, report, "handover_colleague", detail, now
            )

    @refusals
    async def move(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        org_id: str,
        recipients: Sequence[Recipient],
        notify: Notify = (),
    ) -> None:
        """Re-seal the data key to another organization's advisers and take it away from
        every adviser of the handing adviser's organization (the recovery copy stays).
        The receiving organization may hand it back (`hand_back`)."""
        if not recipients:
            raise Refused("no_recipients")
        async with self.store.change(adviser_id, private, report_id) as change:
            session, report = change.session, change.report
            from_org = await _org_of(session, adviser_id)
            if from_org is None or from_org == org_id:
                raise Refused("same_org")
            self._consent_holds(report, f"handover_org:{org_id}")
            # Not one of them with a key that checks out: taking the report away from
            # this organization would leave it to no adviser at all.
            await self._seal_to(change, recipients)
            await _unseal_org(session, report_id, from_org)
            if report.org_id == from_org:
                report.org_id, report.handed_from_org_id = org_id, from_org
            event, detail = ThreadEvent.HANDOVER_ORG, org_id
            await self._handed(change, adviser_id, event, notify, detail, from_org)

    @refusals
    async def add(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        org_id: str,
        recipients: Sequence[Recipient],
        notify: Notify = (),
    ) -> None:
        """Seal the data key to another organization's advisers as well; this one keeps
        it (both read and act). The report stays with its organization for the
        deadlines; the added one may step back with `hand_back`."""
        if not recipients:
            raise Refused("no_recipients")
        async with self.store.change(adviser_id, private, report_id) as change:
            session = change.session
            from_org = await _org_of(session, adviser_id)
            if from_org is None or from_org == org_id:
                raise Refused("same_org")
            self._consent_holds(change.report, f"handover_org_added:{org_id}")
            have = set(await report_recipients(session, report_id))
            if all(r.adviser_id in have for r in recipients):
                raise Refused("already_reads")
            await self._seal_to(change, recipients)
            event, detail = ThreadEvent.HANDOVER_ORG_ADDED, org_id
            await self._handed(change, adviser_id, event, notify, detail, from_org)

    @refusals
    async def hand_back(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        recipients: Sequence[Recipient] = (),
        notify: Notify = (),
    ) -> None:
        """Undo a hand-over, from the receiving side; this organization loses access.

        - An organization that reads the report beside its own organization (added, or
          routed there as well) steps back: its copies go, the others keep theirs.
        - An organization the report was moved to returns it to the one that moved it:
          the key is sealed to that organization's advisers in `recipients` (only theirs
          count) and `org_id` goes back.
        """
        async with self.store.change(adviser_id, private, report_id) as change:
            session, report = change.session, change.report
            mine = await _org_of(session, adviser_id)
            if mine is None:
                raise Refused("not_found")
            if report.org_id != mine:
                if not await _readers_outside(session, report_id, mine):
                    raise Refused("last_reader")
                back_to = report.org_id or ""
            elif report.handed_from_org_id is not None:
                back_to = report.handed_from_org_id
                theirs = await _of_org(session, recipients, back_to)
                if not theirs:
                    raise Refused("no_recipients")
                await self._seal_to(change, theirs)
                report.org_id, report.handed_from_org_id = back_to, None
            else:
                raise Refused("nothing_to_hand_back")
            await _unseal_org(session, report_id, mine)
            event = ThreadEvent.HANDED_BACK
            await self._handed(change, adviser_id, event, notify, back_to, mine)

    def _consent_holds(self, report: Report, what: str) -> None:
        """Another organization may read it only by the student's choice (which ones is
        the caller's policy, read from `visibility`): that choice must carry the proof
        the service wrote it, or nothing is re-sealed and the audit log says why."""
        if not proofs.consent_proven(self.store.server, report):
            raise consent_altered(what)

    async def _seal_to(self, change: Change, recipients: Sequence[Recipient]) -> None:
        """Seal to those recipients whose stored key checks out (a key swapped in the
        database is refused and logged, never sealed to); refused when none does."""
        session, report_id = change.session, change.report.id
        readers = await verified_recipients(
            session, self.store.server, [(r.adviser_id, r.public_key) for r in recipients]
        )
        if not readers:
            raise Refused("key_not_authentic")
        have = set(await report_recipients(session, report_id))
        for adviser_id, public_key in readers:
            if adviser_id not in have:
                row = sealed_copy_row(change.data_key, report_id, ADVISER, adviser_id, public_key)
                session.add(row)

    async def _handed(
        self,
        change: Change,
        adviser_id: str,
        event: ThreadEvent,
        notify: Notify,
        detail: str,
        from_org: str,
    ) -> None:
        """What every organization hand-over writes: the student's event, the notices to
        the receiving advisers, the audit entry (detail: the other organization's id),
        and where to nudge the student."""
        session, report, now = change.session, change.report, change.now
        report.updated_at = now
        self.store.add_entry(session, thread.event_message(report.id, event, now, adviser_id))
        session.add_all(notification_rows(report.id, notify, "handed_over", now))
        await self.store.write_audit(session, adviser_id, report, str(event), detail, now, from_org)
        change.news = await push_target(session, report.id, change.data_key)


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
