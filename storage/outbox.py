"""Notifications waiting to be sent: references and ids only, never content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, utcnow
from storage.models import Notification, Report


@dataclass(frozen=True)
class PendingNotification:
    id: int
    adviser_id: str
    channel: str
    reference: str
    org_id: str | None
    attempts: int


class Outbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    async def due(self, limit: int = 50) -> list[PendingNotification]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(Notification, Report.reference, Report.org_id)
                .join(Report, Report.id == Notification.report_id)
                .where(
                    Notification.state.in_(("pending", "failed")),
                    Notification.next_attempt_at <= self.clock(),
                )
                .order_by(Notification.id)
                .limit(limit)
            )
            return [
                PendingNotification(n.id, n.adviser_id, n.channel, ref, org, n.attempts)
                for n, ref, org in rows
            ]

    async def mark_sent(self, notification_id: int) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(Notification, notification_id)
            if row is not None:
                row.state, row.attempts, row.last_error = "sent", row.attempts + 1, None

    async def mark_failed(self, notification_id: int, error: str, retry_at: datetime) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(Notification, notification_id)
            if row is not None:
                row.state, row.attempts = "failed", row.attempts + 1
                row.last_error, row.next_attempt_at = error[:200], retry_at

    async def states(self) -> list[tuple[str, str, int]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(Notification.adviser_id, Notification.state, Notification.attempts)
            )
            return [(a, s, n) for a, s, n in rows]
