"""Notifications waiting to be sent: references and ids only, never content.

Rows are written with the report (same transaction), so a crash between filing and
sending loses nothing. `due` claims rows with a short lease before handing them out,
so two replicas (or two overlapping loops) never send the same notification twice;
a sender that dies mid-way leaves the row to be picked up again when the lease ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db.clock import Clock, utcnow
from storage.db.models import Notification, Report
from storage.db.rows import rowcount

WAITING = ("pending", "failed")
ERROR_MAX = 200


@dataclass(frozen=True)
class PendingNotification:
    id: int
    adviser_id: str
    channel: str
    reference: str
    org_id: str | None
    attempts: int
    kind: str = "new_report"


def notification_rows(
    report_id: str, targets: Iterable[tuple[str, str]], kind: str, now: datetime
) -> list[Notification]:
    """Pending notices of one kind to (adviser, channel) pairs, each pair once: added to
    the transaction of whatever they announce, so the notice and the news commit together."""
    return [
        Notification(
            kind=kind,
            adviser_id=adviser_id,
            report_id=report_id,
            channel=channel,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for adviser_id, channel in dict.fromkeys(targets)
    ]


class Outbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.lease = lease

    async def due(self, limit: int = 50) -> list[PendingNotification]:
        """Claim and return up to `limit` notifications whose time has come."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(
                        Notification.id,
                        Notification.adviser_id,
                        Notification.channel,
                        Report.reference,
                        Report.org_id,
                        Notification.attempts,
                        Notification.kind,
                    )
                    .join(Report, Report.id == Notification.report_id)
                    .where(Notification.state.in_(WAITING), Notification.next_attempt_at <= now)
                    .order_by(Notification.next_attempt_at, Notification.id)
                    .limit(limit)
                )
            ).all()
            claimed = []
            for row in rows:
                # Compare-and-set: only one claimer sees the row still due.
                result = await session.execute(
                    update(Notification)
                    .where(
                        Notification.id == row.id,
                        Notification.state.in_(WAITING),
                        Notification.next_attempt_at <= now,
                    )
                    .values(next_attempt_at=now + self.lease)
                    .execution_options(synchronize_session=False)
                )
                if rowcount(result) == 1:
                    claimed.append(PendingNotification(*row))
        return claimed

    async def mark_sent(self, notification_id: int) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(state="sent", attempts=Notification.attempts + 1, last_error=None)
                .execution_options(synchronize_session=False)
            )

    async def mark_failed(self, notification_id: int, error: str, retry_at: datetime) -> None:
        """`error` is for operators: a reason such as an exception name, never content."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(
                    state="failed",
                    attempts=Notification.attempts + 1,
                    last_error=error[:ERROR_MAX],
                    next_attempt_at=retry_at,
                )
                .execution_options(synchronize_session=False)
            )
