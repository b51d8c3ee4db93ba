"""What an adviser does to a report: acknowledge it, write to the student or a note,
set its status. (Hand-overs are `handover`.)

Every action takes the report's row lock, and writes its audit entry and its follow-up
bookkeeping (acknowledged, first feedback, deadlines met) in the same transaction as the
action itself. The student's nudge (if they asked for one) is handed to the service's
in-memory queue (`news`) only after that transaction commits: it is never written down.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import sealed_content, thread
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.models import Report, ReportField
from storage.repositories.cases.access import CaseStore, access, for_change
from storage.repositories.cases.views import OUTCOMES, SETTABLE, CaseRefused
from storage.repositories.deadlines import REPLY, mark_met
from storage.repositories.reports import PUSH_TARGET_FIELD, forget_push_target
from vocabulary import OPEN_STATUSES, ReportStatus, ThreadEvent

TEXT_MAX = 8000


class CaseActions(CaseStore):
    async def acknowledge(
        self, adviser_id: str, private: X25519PrivateKey, report_id: str
    ) -> CaseRefused | None:
        """The explicit "we have it": meets the acknowledgement deadline and, for a report
        still `received`, sets it in progress, which the student sees. Opening a report
        never acknowledges it; a message to the student or a status change does too."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await for_change(session, adviser_id, private, report_id)
            if isinstance(found, CaseRefused):
                return found
            report = found.report
            if report.acknowledged_at is not None:
                return CaseRefused("already_acknowledged")
            await _acknowledge(session, report, now)
            if report.status == ReportStatus.RECEIVED:
                report.status = ReportStatus.IN_PROGRESS
                event = ThreadEvent.STATUS_IN_PROGRESS
                session.add(thread.event_message(report_id, event, now, adviser_id))
            report.updated_at = now
            news = await push_target(session, report_id, found.data_key)
            await self._audit(session, adviser_id, report, "acknowledge", "", now)
        self._tell(news)
        return None

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

    async def _answered(
        self, session: AsyncSession, report: Report, data_key: bytes, now: datetime
    ) -> str | None:
        """A message to the student acknowledges the report, is its first feedback and
        answers what the student wrote (the reply deadline); returns where to nudge the
        student, if they asked."""
        await _acknowledge(session, report, now)
        await mark_met(session, report.id, REPLY, now)
        if report.first_feedback_at is None:
            report.first_feedback_at = now
            await mark_met(session, report.id, "feedback", now)
        report.updated_at = now
        return await push_target(session, report.id, data_key)


async def push_target(session: AsyncSession, report_id: str, data_key: bytes) -> str | None:
    """Where the student asked to be nudged (kept inside the report, encrypted), if so."""
    blob = await session.scalar(
        select(ReportField.ciphertext).where(
            ReportField.report_id == report_id, ReportField.field == PUSH_TARGET_FIELD
        )
    )
    if blob is None:
        return None
    return sealed_content.decrypt_field(
        data_key, blob, report_id=report_id, field=PUSH_TARGET_FIELD
    ).decode()


async def _acknowledge(session: AsyncSession, report: Report, now: datetime) -> None:
    if report.acknowledged_at is None:
        report.acknowledged_at = now
        await mark_met(session, report.id, "acknowledge", now)
