"""Which Telegram updates were handled, so a redelivered one is handled once.

The primary key does the deduplication: of two replicas inserting the same update at
the same moment, the database lets exactly one succeed.

A conversation turn writes its marker in the transaction that saves the conversation
(one commit per turn): the middleware opens a `pending` marker for the update,
`ConversationStore` inserts it with the state, and a marker that is already there turns
the whole transaction back (`AlreadyHandled`: another delivery of the update won, so this
one saves nothing and replies nothing). A turn that acts beyond its conversation (files
a report, checks a status, writes to an adviser) claims the marker in a commit of its own
*before* acting, as every turn did before, so no action runs twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db.clock import Clock, student_time, utcnow
from storage.db.models import ProcessedUpdate
from storage.db.rows import rowcount
from storage.db.upsert import Executor, insert_if_absent_counted


class AlreadyHandled(Exception):
    """The update's marker was written by another delivery of it: this one stops."""


@dataclass
class PendingUpdate:
    """The update being handled in this task, its marker not written yet."""

    source: str
    update_id: int
    at: datetime
    claimed: bool = False


_pending: ContextVar[PendingUpdate | None] = ContextVar("pending_update", default=None)


async def claim_pending_in(session: Executor) -> None:
    """Write the marker of the update being handled (if any, and once) in the caller's
    transaction; raises `AlreadyHandled` if it is there already, so the caller's
    transaction rolls back."""
    pending = _pending.get()
    if pending is None or pending.claimed:
        return
    values = {"source": pending.source, "update_id": pending.update_id, "at": pending.at}
    if not await insert_if_absent_counted(session, ProcessedUpdate, values):
        raise AlreadyHandled(f"{pending.source} update {pending.update_id}")
    pending.claimed = True


class UpdateLog:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.engine: AsyncEngine = sessions.kw["bind"]  # every update passes here: Core only
        self.clock = clock

    async def first_time(self, source: str, update_id: int) -> bool:
        """True for the first caller with this (source, update_id); False ever after."""
        at = student_time(self.clock())  # a student's message arrived: to the hour
        values = {"source": source, "update_id": update_id, "at": at}
        async with self.engine.begin() as connection:
            return await insert_if_absent_counted(connection, ProcessedUpdate, values)

    async def seen(self, source: str, update_id: int) -> bool:
        """Whether this update's marker is stored (a read: no commit)."""
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                select(ProcessedUpdate.update_id).where(
                    ProcessedUpdate.source == source, ProcessedUpdate.update_id == update_id
                )
            )
        return found is not None

    @contextmanager
    def pending(self, source: str, update_id: int) -> Iterator[PendingUpdate]:
        """While the update is handled, the conversation's save writes its marker."""
        marker = PendingUpdate(source, update_id, student_time(self.clock()))
        token = _pending.set(marker)
        try:
            yield marker
        finally:
            _pending.reset(token)

    async def claim(self) -> None:
        """Write the pending marker now, in a commit of its own (before a turn acts
        beyond its conversation); `AlreadyHandled` if another delivery has it."""
        pending = _pending.get()
        if pending is None or pending.claimed:
            return
        if not await self.first_time(pending.source, pending.update_id):
            raise AlreadyHandled(f"{pending.source} update {pending.update_id}")
        pending.claimed = True

    async def purge(self, older_than: datetime) -> int:
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.at < older_than)
            )
        return rowcount(result)
