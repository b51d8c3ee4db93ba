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
from storage.repositories.cases.access import CaseStore, Refused, refusals
from storage.repositories.cases.views import OUTCOMES, SETTABLE
from storage.repositories.deadlines import REPLY, mark_met
from storage.repositories.reports import PUSH_TARGET_FIELD, forget_push_target
from vocabulary import ReportStatus, ThreadEvent

TEXT_MAX = 8000


class CaseActions:
    """`cases.actions`: acknowledging, writing, setting the status."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    @refusals
    async def acknowledge(self, adviser_id: str, private: X25519PrivateKey, report_id: str) -> None:
        """The explicit "we have it": meets the acknowledgement deadline and, for a report
        still `received`, sets it in progress, which the student sees. Opening a report
        never acknowledges it; a message to the student or a status change does too."""
        async with self.store.change(adviser_id, private, report_id) as change:
            report, now = change.report, change.now
            if report.acknowledged_at is not None:
                raise Refused("already_acknowledged")
            await _acknowledge(change.session, report, now)
            if report.status == ReportStatus.RECEIVED:
                report.status = ReportStatus.IN_PROGRESS
                event = ThreadEvent.STATUS_IN_PROGRESS
                self.store.add_entry(
                    change.session, thread.event_message(report_id, event, now, adviser_id)
                )
            report.updated_at = now
            change.news = await push_target(change.session, report_id, change.data_key)
            await self.store.write_audit(change.session, adviser_id, report, "acknowledge", "", now)

    @refusals
    async def write(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        text: str,
        *,
        internal: bool,
    ) -> None:
        """A message to the student (an open report only), or an internal note (never
        shown to the student)."""
        text = text.strip()
        if not text:
            raise Refused("empty")
        if len(text) > TEXT_MAX:
            raise Refused("too_long")
        async with self.store.change(
            adviser_id, private, report_id, open_only=not internal
        ) as change:
            report, now = change.report, change.now
            self.store.add_entry(
                change.session,
                thread.adviser_message(
                    change.data_key, report_id, adviser_id, text, internal=internal, now=now
                ),
            )
            if not internal:
                change.news = await _answered(change.session, report, change.data_key, now)
            action = "note" if internal else "message"
            await self.store.write_audit(change.session, adviser_id, report, action, "", now)

    @refusals
    async def set_status(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        status: str,
        outcome: str | None = None,
    ) -> None:
        """received → in_progress → waiting → closed (with an outcome code)."""
        if status not in SETTABLE:
            raise Refused("bad_status")
        if status == ReportStatus.CLOSED and outcome not in OUTCOMES:
            raise Refused("outcome_needed")
        async with self.store.change(adviser_id, private, report_id) as change:
            session, report, now = change.session, change.report, change.now
            if report.status == status:
                raise Refused("same_status")
            report.status, report.updated_at = status, now
            self.store.add_entry(
                session, thread.event_message(report_id, f"status_{status}", now, adviser_id)
            )
            await _acknowledge(session, report, now)
            change.news = await push_target(session, report_id, change.data_key)
            detail = status
            if status == ReportStatus.CLOSED:
                report.closed_at, report.outcome = now, outcome
                detail = f"closed:{outcome}"
                await forget_push_target(session, report_id)
            await self.store.write_audit(session, adviser_id, report, "status", detail, now)


async def _answered(
    session: AsyncSession, report: Report, data_key: bytes, now: datetime
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
