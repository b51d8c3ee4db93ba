"""Wrong receipt codes per chat: five in fifteen minutes lock status checks for a while.

A receipt has ~53 bits; with Argon2id costing each guess and this limit per chat, a
guesser needs millions of chats to make a dent. Kept in the database so that replicas
and restarts agree; keyed by the chat hash, never the chat id.

A failure is stored at the end of the window-sized slot it falls in (rounded *up* to a
whole quarter hour with the default window), not to the microsecond: no finer than the
lock needs, and rounding up means a failure counts for at least the whole window (for
at most twice it), so coarse times never let a guesser in sooner.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db.clock import Clock, ceil_to, utcnow
from storage.db.models import StatusAttempt
from storage.db.rows import rowcount


class StatusAttempts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limit: int = 5,
        window: timedelta = timedelta(minutes=15),
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.limit = limit
        self.window = window
        self.clock = clock

    async def _recent(self, session: AsyncSession, chat_key: str, now: datetime) -> list[datetime]:
        rows = await session.scalars(
            select(StatusAttempt.at)
            .where(StatusAttempt.chat_key == chat_key, StatusAttempt.at > now - self.window)
            .order_by(StatusAttempt.at)
        )
        return list(rows)

    async def locked_for(self, chat_key: str) -> timedelta | None:
        """How long this chat must still wait, or None if it may try a code now.

        Locked while `limit` failures lie inside the window; it opens when the oldest
        of the last `limit` failures leaves the window.
        """
        now = self.clock()
        async with self.sessions() as session:
            recent = await self._recent(session, chat_key, now)
        if len(recent) < self.limit:
            return None
        remaining = recent[-self.limit] + self.window - now
        return remaining if remaining > timedelta(0) else None

    async def record_failure(self, chat_key: str) -> int:
        """Record a wrong code; returns how many tries are left before the lock."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            session.add(StatusAttempt(chat_key=chat_key, at=ceil_to(now, self.window)))
            await session.flush()
            recent = await self._recent(session, chat_key, now)
        return max(0, self.limit - len(recent))

    async def purge(self, now: datetime) -> int:
        """Forget failures that can no longer count towards a lock."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(StatusAttempt).where(StatusAttempt.at <= now - self.window)
            )
        return rowcount(result)
