"""Deadlines in the database: which are overdue, and taking one escalation step.

A step is a compare-and-set on the deadline's level together with the notices it sends,
in one transaction: committed means sent exactly once (the outbox delivers it), not
committed means it will be taken again, by this replica or another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto.sealed_keys import report_recipients
from storage.crypto.server_key import ServerKey
from storage.db.clock import Clock, utcnow
from storage.db.models import Deadline, Report
from storage.db.rows import rowcount
from storage.repositories import audit
from storage.repositories.outbox import notification_rows
from vocabulary import OPEN_STATUSES

LAST_LEVEL = 3
# A student's message waits for an adviser's answer: its own deadline, started by the
# student's first unanswered message and met by the next message to the student.
REPLY = "reply"


@dataclass(frozen=True)
class DueStep:
    deadline_id: int
    report_id: str
    reference: str
    org_id: str | None
    kind: str  # acknowledge | feedback | reply
    level: int  # before this step
    recipients: tuple[str, ...]  # advisers the report is sealed to


class DeadlineStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], server: ServerKey, clock: Clock = utcnow
    ) -> None:
        self.sessions = sessions
        self.server = server  # keys the audit chain
        self.clock = clock

    async def due(self, limit: int = 100) -> list[DueStep]:
        now = self.clock()
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Deadline, Report.reference, Report.org_id)
                    .join(Report, Report.id == Deadline.report_id)
                    .where(
                        Deadline.met_at.is_(None),
                        Deadline.level < LAST_LEVEL,
                        Deadline.next_step_at <= now,
                        Report.status.in_(sorted(OPEN_STATUSES)),
                        Report.erased_at.is_(None),
                    )
                    .order_by(Deadline.next_step_at, Deadline.id)
                    .limit(limit)
                )
            ).all()
            return [
                DueStep(
                    d.id,
                    d.report_id,
                    reference,
                    org_id,
                    d.kind,
                    d.level,
                    await report_recipients(session, d.report_id),
                )
                for d, reference, org_id in rows
            ]

    async def advance(
        self, step: DueStep, every: timedelta, kind: str, notices: Iterable[tuple[str, str]]
    ) -> bool:
        """One level up and its notices of `kind` to (adviser, channel), or nothing if
        another replica took this step first or the deadline was met meanwhile."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Deadline)
                .where(
                    Deadline.id == step.deadline_id,
                    Deadline.level == step.level,
                    Deadline.met_at.is_(None),
                )
                .values(level=step.level + 1, next_step_at=now + every)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                return False
            session.add_all(notification_rows(step.report_id, notices, kind, now))
            await audit.append(
                session,
                self.server,
                at=now,
                actor="system",
                action="escalate",
                report_id=step.report_id,
                org_id=step.org_id,
                detail=f"{step.kind} level {step.level + 1}",
            )
        return True


async def mark_met(session: AsyncSession, report_id: str, kind: str, at: datetime) -> None:
    """In the caller's transaction: the action that meets a deadline stops its escalation."""
    await session.execute(
        update(Deadline)
        .where(Deadline.report_id == report_id, Deadline.kind == kind, Deadline.met_at.is_(None))
        .values(met_at=at)
        .execution_options(synchronize_session=False)
    )


async def expect_answer(session: AsyncSession, report_id: str, due: datetime) -> None:
    """In the caller's transaction: a student wrote, so an answer is due by `due` — unless
    an earlier message already started the clock and is still unanswered (that one's
    time counts: the student has waited since then)."""
    row = await session.scalar(
        select(Deadline).where(Deadline.report_id == report_id, Deadline.kind == REPLY)
    )
    if row is None:
        session.add(
            Deadline(report_id=report_id, kind=REPLY, due_at=due, level=0, next_step_at=due)
        )
    elif row.met_at is not None:
        row.due_at, row.met_at, row.level, row.next_step_at = due, None, 0, due
