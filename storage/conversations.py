"""Unfinished conversations, encrypted and keyed by the chat hash, gone after a while.

A draft holds what the student has typed so far, so it gets the same care as a report:
sealed with the server key (AAD: the chat hash, so a blob can't be moved to another
chat), never stored under the chat id itself, and dropped after `ttl` of silence.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock, utcnow
from storage.crypto import CryptoError, ServerKey
from storage.models import Conversation
from storage.rows import rowcount
from storage.upsert import upsert


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
        """None if there is no draft, it expired, or it no longer decrypts."""
        async with self.sessions() as session:
            row = await session.scalar(
                select(Conversation).where(
                    Conversation.chat_key == chat_key, Conversation.expires_at > self.clock()
                )
            )
        if row is None:
            return None
        try:
            data = json.loads(self.server.open_state(row.blob, chat_key=chat_key))
        except (CryptoError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    async def save(self, chat_key: str, data: dict[str, object]) -> None:
        """Insert or replace in one statement (no read first, so no race between two)."""
        async with self.sessions() as session, session.begin():
            await self.save_in(session, chat_key, data)

    async def save_in(self, session: AsyncSession, chat_key: str, data: dict[str, object]) -> None:
        """`save` inside the caller's transaction (filing a report and moving its
        conversation on must commit together)."""
        now = self.clock()
        values: dict[str, Any] = {
            "chat_key": chat_key,
            "blob": self.server.seal_state(json.dumps(data).encode(), chat_key=chat_key),
            "updated_at": now,
            "expires_at": now + self.ttl,
        }
        changes = {k: v for k, v in values.items() if k != "chat_key"}
        await upsert(session, Conversation, values, key=("chat_key",), changes=changes)

    async def delete(self, chat_key: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(delete(Conversation).where(Conversation.chat_key == chat_key))

    async def purge_expired(self, now: datetime) -> int:
        """Delete drafts whose time is up; returns how many."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(Conversation).where(Conversation.expires_at <= now)
            )
        return rowcount(result)
