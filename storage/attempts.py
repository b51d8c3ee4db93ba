"""Wrong receipt codes per chat: five in fifteen minutes lock status checks for a while.

A receipt has ~53 bits; with Argon2id costing each guess and this limit per chat, a
guesser needs millions of chats to make a dent. Kept in the database so that replicas
and restarts agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, aware, utcnow
from storage.models import StatusAttempt
from storage.rows import deleted


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

    async def _recent(self, session: AsyncSession, chat_key: str) -> list[datetime]:
        since = self.clock() - self.window
        rows = await session.scalars(
            select(StatusAttempt.at)
            .where(StatusAttempt.chat_key == chat_key, StatusAttempt.at > since)
            .order_by(StatusAttempt.at)
        )
        return [aware(at) for at in rows]

    async def locked_for(self, chat_key: str) -> timedelta | None:
        async with self.sessions() as session:
            recent = await self._recent(session, chat_key)
        if len(recent) < self.limit:
            return None
        unlock = recent[-self.limit] + self.window
        remaining = unlock - self.clock()
        return remaining if remaining > timedelta(0) else None

    async def record_failure(self, chat_key: str) -> int:
        """Returns how many tries are left before the lock."""
        async with self.sessions() as session, session.begin():
            session.add(StatusAttempt(chat_key=chat_key, at=self.clock()))
            await session.flush()
            recent = await self._recent(session, chat_key)
        return max(0, self.limit - len(recent))

    async def purge(self, now: datetime) -> int:
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(StatusAttempt).where(StatusAttempt.at <= now - self.window)
            )
        return deleted(result)

    async def total(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count(StatusAttempt.id))) or 0)
