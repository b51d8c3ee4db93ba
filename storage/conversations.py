"""Unfinished conversations, encrypted and keyed by the chat hash, gone after a while."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, aware, utcnow
from storage.crypto import CryptoError, ServerKey
from storage.models import Conversation
from storage.rows import deleted


class ConversationStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        server: ServerKey,
        ttl: timedelta = timedelta(hours=72),
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.server = server
        self.ttl = ttl
        self.clock = clock

    async def load(self, chat_key: str) -> dict[str, object] | None:
        async with self.sessions() as session:
            row = await session.get(Conversation, chat_key)
        if row is None or aware(row.expires_at) <= self.clock():
            return None
        try:
            data = json.loads(self.server.open_state(row.blob, chat_key=chat_key))
        except (CryptoError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    async def save(self, chat_key: str, data: dict[str, object]) -> None:
        now = self.clock()
        blob = self.server.seal_state(json.dumps(data).encode(), chat_key=chat_key)
        async with self.sessions() as session, session.begin():
            row = await session.get(Conversation, chat_key, with_for_update=True)
            if row is None:
                session.add(
                    Conversation(
                        chat_key=chat_key, blob=blob, updated_at=now, expires_at=now + self.ttl
                    )
                )
            else:
                row.blob, row.updated_at, row.expires_at = blob, now, now + self.ttl

    async def delete(self, chat_key: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(delete(Conversation).where(Conversation.chat_key == chat_key))

    async def purge_expired(self, now: datetime) -> int:
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(Conversation).where(Conversation.expires_at <= now)
            )
        return deleted(result)

    async def count(self) -> int:
        async with self.sessions() as session:
            return len((await session.scalars(select(Conversation.chat_key))).all())
