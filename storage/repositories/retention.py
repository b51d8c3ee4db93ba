"""Erasing closed and withdrawn reports after the retention period.

Erasure removes everything that is content or opens content — the encrypted fields, the
sealed keys, the thread and files, the receipt's lookup and wrapped key — and keeps the
statistics columns (organization, phase, grounds, sector, status, dates, the evaluation
score) and the deadlines (due, met, escalation level) for the network's two-yearly
measurement (`escalation/figures`). The student's evaluation text goes with the report
unless they allowed quoting it (`storage.repositories.evaluations`). Advisers are warned
first, once (compare-and-set).

An orphan — a report no enrolled adviser can open, sealed to the recovery key alone —
can never be closed, so it would be kept for ever: it is erased once it is older than
the retention period, whatever its status (there is nobody to warn). The start-up log
and the coordinators' overview name orphans long before that (`stagemeld recover`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto.sealed_keys import orphaned, report_recipients
from storage.crypto.server_key import ServerKey
from storage.db.clock import Clock, utcnow
from storage.db.models import (
    Attachment,
    Message,
    Notification,
    PatternName,
    PatternTag,
    ReadMark,
    Report,
    ReportField,
    SealedKey,
)
from storage.db.rows import rowcount
from storage.repositories import audit, evaluations
from storage.repositories.outbox import notification_rows
from vocabulary import ENDED_STATUSES

# Deadlines stay: their due and met times and escalation level are statistics (the
# figures' follow-up times), not content, and the figures must outlive erasure.
# A company's keyed hash and a name shared with a coordinator go with the content: an erased report
# takes part in no new pattern (its membership, a plain link, stays for the figures).
CONTENT_TABLES = (
    Attachment,
    Message,
    ReportField,
    SealedKey,
    ReadMark,
    Notification,
    PatternTag,
    PatternName,
)


def _ended_before(moment: datetime) -> ColumnElement[bool]:
    return func.coalesce(Report.closed_at, Report.withdrawn_at) <= moment


@dataclass(frozen=True)
class Expiring:
    report_id: str
    reference: str
    recipients: tuple[str, ...]


class Retention:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        server: ServerKey,
        keep: timedelta,
        warn_before: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.server = server  # keys the audit chain
        self.keep = keep
        self.warn_before = warn_before
        self.clock = clock

    async def to_warn(self, limit: int = 100) -> list[Expiring]:
        cutoff = self.clock() - self.keep + self.warn_before
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Report.id, Report.reference)
                    .where(
                        Report.status.in_(sorted(ENDED_STATUSES)),
                        Report.erased_at.is_(None),
                        Report.retention_warned_at.is_(None),
                        _ended_before(cutoff),
                    )
                    .limit(limit)
                )
            ).all()
            return [Expiring(rid, ref, await report_recipients(session, rid)) for rid, ref in rows]

    async def warned(self, report_id: str, notices: Iterable[tuple[str, str]]) -> bool:
        """Marks the warning sent, with its notices (adviser, channel), exactly once."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Report)
                .where(Report.id == report_id, Report.retention_warned_at.is_(None))
                .values(retention_warned_at=now)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                return False
            session.add_all(notification_rows(report_id, notices, "retention_warning", now))
            await self._audit(session, report_id, "retention_warning")
        return True

    async def _audit(self, session: AsyncSession, report_id: str, action: str) -> None:
        org_id = await session.scalar(select(Report.org_id).where(Report.id == report_id))
        await audit.append(
            session,
            self.server,
            at=self.clock(),
            actor="system",
            action=action,
            report_id=report_id,
            org_id=org_id,
        )

    async def erase_due(self, limit: int = 100) -> list[str]:
        """Erases what is past retention; returns the references erased."""
        cutoff = self.clock() - self.keep
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Report.id, Report.reference)
                    .where(
                        Report.erased_at.is_(None),
                        or_(
                            Report.status.in_(sorted(ENDED_STATUSES)) & _ended_before(cutoff),
                            orphaned() & (Report.created_at <= cutoff),
                        ),
                    )
                    .limit(limit)
                )
            ).all()
        erased = [ref for rid, ref in rows if await self.erase(rid)]
        async with self.sessions() as session, session.begin():
            await evaluations.purge_old_quotes(session, self.clock())
        return erased

    async def erase(self, report_id: str) -> bool:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Report)
                .where(Report.id == report_id, Report.erased_at.is_(None))
                .values(
                    erased_at=now,
                    receipt_lookup=None,
                    receipt_wrapped_key=None,
                    public_key=None,
                    key_mac=None,
                )
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                return False
            await evaluations.erase_with_report(session, report_id)
            for table in CONTENT_TABLES:
                await session.execute(delete(table).where(table.report_id == report_id))
            await self._audit(session, report_id, "erase")
        return True
