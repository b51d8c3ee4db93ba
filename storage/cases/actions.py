"""What an adviser does to a report: write to the student or a note, set its status,
hand it over to a colleague or another organization.

Every action takes the report's row lock, and writes its audit entry and its follow-up
bookkeeping (acknowledged, first feedback, deadlines met) in the same transaction as the
action itself. The student's nudge (if they asked for one) is handed to the service's
in-memory queue (`news`) only after that transaction commits: it is never written down.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import crypto, thread
from storage.cases.access import CaseStore, access, for_change
from storage.cases.views import OUTCOMES, SETTABLE, CaseRefused
from storage.deadlines import mark_met
from storage.models import AdviserKey, Report, ReportField, SealedKey
from storage.outbox import notification_rows
from storage.reports import PUSH_TARGET_FIELD, Recipient, forget_push_target
from storage.sealed_keys import (
    ADVISER,
    report_recipients,
    sealed_copy_row,
    verified_recipients,
)
from vocabulary import OPEN_STATUSES, ReportStatus, ThreadEvent

TEXT_MAX = 8000


class CaseActions(CaseStore):
    async def write(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        text: str,
        *,
        internal: bool,
    ) -> CaseRefused | None:
        """A message to the student, or an internal note (never shown to the student)."""
        text = text.strip()
        if not text:
            return CaseRefused("empty")
        if len(text) > TEXT_MAX:
            return CaseRefused("too_long")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await access(session, adviser_id, private, report_id, lock=True)
            if found is None:
                return CaseRefused("not_found")
            report = found.report
            if not internal and report.status not in OPEN_STATUSES:
                return CaseRefused("closed")
            session.add(
                thread.adviser_message(
                    found.data_key, report_id, adviser_id, text, internal=internal, now=now
                )
            )
            news = None
            if not internal:
                news = await self._answered(session, report, found.data_key, now)
            action = "note" if internal else "message"
            await self._audit(session, adviser_id, report, action, "", now)
        self._tell(news)
        return None

    async def set_status(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        status: str,
        outcome: str | None = None,
    ) -> CaseRefused | None:
        """received → in_progress → waiting → closed (with an outcome code)."""
        if status not in SETTABLE:
            return CaseRefused("bad_status")
        if status == ReportStatus.CLOSED and outcome not in OUTCOMES:
            return CaseRefused("outcome_needed")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            report = found.report
            if report.status == status:
                return CaseRefused("same_status")
            report.status, report.updated_at = status, now
            session.add(thread.event_message(report_id, f"status_{status}", now, adviser_id))
            await _acknowledge(session, report, now)
            news = await push_target(session, report_id, found.data_key)
            detail = status
            if status == ReportStatus.CLOSED:
                report.closed_at, report.outcome = now, outcome
                detail = f"closed:{outcome}"
                await forget_push_target(session, report_id)
            await self._audit(session, adviser_id, report, "status", detail, now)
        self._tell(news)
        return None

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
        notify: Sequence[tuple[str, str]] = (),
    ) -> CaseRefused | None:
        """Re-seal the data key to another organization's advisers and take it away from
        every adviser of the handing adviser's organization: after this, they cannot
        open it any more (the recovery copy stays). Whether the student's choice allows
        the hand-over is the caller's policy."""
        if not recipients:
            return CaseRefused("no_recipients")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            report = found.report
            from_org = await session.scalar(
                select(AdviserKey.org_id).where(AdviserKey.adviser_id == adviser_id)
            )
            if from_org is None or from_org == org_id:
                return CaseRefused("same_org")
            if not await _seal_to(session, self.server, report_id, found.data_key, recipients):
                # Not one of them has a key that checks out: taking the report away from
                # this organization would leave it to no adviser at all.
                return CaseRefused("key_not_authentic")
            await _unseal_org(session, report_id, from_org)
            if report.org_id == from_org:
                report.org_id = org_id
            report.updated_at = now
            session.add(thread.event_message(report_id, ThreadEvent.HANDOVER_ORG, now, adviser_id))
            session.add_all(notification_rows(report_id, notify, "handed_over", now))
            news = await push_target(session, report_id, found.data_key)
            await self._audit(session, adviser_id, report, "handover_org", org_id, now, from_org)
        self._tell(news)
        return None

    async def _answered(
        self, session: AsyncSession, report: Report, data_key: bytes, now: datetime
    ) -> str | None:
        """A message to the student acknowledges the report and is its first feedback;
        returns where to nudge the student, if they asked."""
        await _acknowledge(session, report, now)
        if report.first_feedback_at is None:
            report.first_feedback_at = now
            await mark_met(session, report.id, "feedback", now)
        report.updated_at = now
        return await push_target(session, report.id, data_key)

    def _tell(self, target: str | None) -> None:
        """After the commit: a content-free "there is news" to a student who asked."""
        if target is not None and self.news is not None:
            self.news(target)


async def push_target(session: AsyncSession, report_id: str, data_key: bytes) -> str | None:
    """Where the student asked to be nudged (kept inside the report, encrypted), if so."""
    blob = await session.scalar(
        select(ReportField.ciphertext).where(
            ReportField.report_id == report_id, ReportField.field == PUSH_TARGET_FIELD
        )
    )
    if blob is None:
        return None
    return crypto.decrypt_field(
        data_key, blob, report_id=report_id, field=PUSH_TARGET_FIELD
    ).decode()


async def _acknowledge(session: AsyncSession, report: Report, now: datetime) -> None:
    if report.acknowledged_at is None:
        report.acknowledged_at = now
        await mark_met(session, report.id, "acknowledge", now)


async def _seal_to(
    session: AsyncSession,
    server: crypto.ServerKey,
    report_id: str,
    data_key: bytes,
    recipients: Sequence[Recipient],
) -> bool:
    """Seal to those recipients whose stored key checks out (finding 4: a key swapped in
    the database is refused and logged, never sealed to). False when none does."""
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
