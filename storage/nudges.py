"""Content-free "there is news on your report" notices to students who asked for them.

A pending nudge names no report: only a chat address sealed with the server key, so the
table never links a chat to a report, and the row is deleted the moment it is sent.
Queued by whoever causes the news (an adviser's answer, a status change), in their own
transaction; delivered by the service with retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, utcnow
from storage.crypto import CryptoError, ServerKey
from storage.models import StudentNudge
from storage.rows import rowcount

PURPOSE = "nudge-target"
ERROR_MAX = 200


@dataclass(frozen=True)
class PendingNudge:
    id: int
    target: str  # e.g. "telegram:123456:nl" — channel, chat, language
    attempts: int


def queue_nudge(session: AsyncSession, server: ServerKey, target: str, now: datetime) -> None:
    """Adds the nudge to the caller's transaction (committed with the news itself)."""
    session.add(
        StudentNudge(
            target_sealed=server.seal_value(target.encode(), purpose=PURPOSE),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


class Nudges:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        server: ServerKey,
        clock: Clock = utcnow,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.sessions = sessions
        self.server = server
        self.clock = clock
        self.lease = lease

    async def queue(self, target: str) -> None:
        async with self.sessions() as session, session.begin():
            queue_nudge(session, self.server, target, self.clock())

    async def due(self, limit: int = 50) -> list[PendingNudge]:
        """Claims due nudges with a lease (compare-and-set), so replicas never both send."""
        now = self.clock()
        claimed: list[PendingNudge] = []
        async with self.sessions() as session, session.begin():
            rows = (
                await session.scalars(
                    select(StudentNudge)
                    .where(StudentNudge.next_attempt_at <= now)
                    .order_by(StudentNudge.next_attempt_at, StudentNudge.id)
                    .limit(limit)
                )
            ).all()
            for row in rows:
                result = await session.execute(
                    update(StudentNudge)
                    .where(StudentNudge.id == row.id, StudentNudge.next_attempt_at <= now)
                    .values(next_attempt_at=now + self.lease)
                    .execution_options(synchronize_session=False)
                )
                if rowcount(result) != 1:
                    continue
                try:
                    target = self.server.open_value(row.target_sealed, purpose=PURPOSE).decode()
                except CryptoError:
                    await session.execute(delete(StudentNudge).where(StudentNudge.id == row.id))
                    continue
                claimed.append(PendingNudge(row.id, target, row.attempts))
        return claimed

    async def sent(self, nudge_id: int) -> None:
        """Gone for good: nothing of the student's address stays behind."""
        async with self.sessions() as session, session.begin():
            await session.execute(delete(StudentNudge).where(StudentNudge.id == nudge_id))

    async def failed(self, nudge_id: int, error: str, retry_at: datetime) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(StudentNudge)
                .where(StudentNudge.id == nudge_id)
                .values(
                    attempts=StudentNudge.attempts + 1,
                    last_error=error[:ERROR_MAX],
                    next_attempt_at=retry_at,
                )
                .execution_options(synchronize_session=False)
            )
