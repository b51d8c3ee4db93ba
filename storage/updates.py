"""Which Telegram updates were handled, so a redelivered one is handled once.

The primary key does the deduplication: of two replicas inserting the same update at
the same moment, the database lets exactly one succeed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, student_time, utcnow
from storage.models import ProcessedUpdate
from storage.rows import rowcount


class UpdateLog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    async def first_time(self, source: str, update_id: int) -> bool:
        """True for the first caller with this (source, update_id); False ever after."""
        try:
            async with self.sessions() as session, session.begin():
                at = student_time(self.clock())  # a student's message arrived: to the hour
                session.add(ProcessedUpdate(source=source, update_id=update_id, at=at))
        except IntegrityError:
            return False
        return True

    async def purge(self, older_than: datetime) -> int:
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.at < older_than)
            )
        return rowcount(result)
