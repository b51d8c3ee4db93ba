"""Unfinished conversations, encrypted and keyed by the chat hash, gone after a while.

A draft holds what the student has typed so far, so it gets the same care as a report.
It is sealed with its own key (`sealed_drafts.draft_key`): derived from the conversation's key
file (`draft_keys`) and the chat id, which the database never holds (AAD: the chat
hash, so a blob can't be moved to another chat). The row carries no time but its
expiry, rounded up to the hour.

Ending a conversation deletes its row and, right after the commit and with no await in
between, unlinks its key file: every older version of the row (SQLite's WAL, PostgreSQL's
dead tuples, a backup) is then sealed with a key that exists nowhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage.crypto import aead, sealed_drafts
from storage.crypto.draft_keys import DraftKeys
from storage.db.clock import Clock, utcnow
from storage.db.models import Conversation
from storage.db.upsert import upsert
from storage.repositories.updates import claim_pending_in

SWEEP_MIN_AGE = 60.0  # seconds: a key file is written just before its first row

# Every turn runs these two: built once, so a turn pays neither their construction nor
# their cache-key walk.
_LOAD = select(Conversation.blob).where(
    Conversation.chat_key == bindparam("chat_key"), Conversation.expires_at > bindparam("now")
)
_DELETE = delete(Conversation).where(Conversation.chat_key == bindparam("chat_key"))


@dataclass(frozen=True)
class ChatRef:
    """A chat as storage sees it: `key` is the chat hash (the row's name), `secret` the
    chat id or web session id itself (part of the draft's key, never stored)."""

    key: str
    secret: bytes


def round_up_to_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


class ConversationStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        draft_keys: DraftKeys,
        ttl: timedelta = timedelta(hours=72),
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.engine: AsyncEngine = sessions.kw["bind"]  # the turn's hot path: Core only
        self.draft_keys = draft_keys
        self.ttl = ttl
        self.clock = clock

    def _existing_key(self, chat: ChatRef) -> bytes | None:
        secret = self.draft_keys.secret(chat.key)
        return None if secret is None else sealed_drafts.draft_key(secret, chat.key, chat.secret)

    def _writing_key(self, chat: ChatRef) -> bytes:
        return sealed_drafts.draft_key(self.draft_keys.create(chat.key), chat.key, chat.secret)

    async def load(self, chat: ChatRef) -> dict[str, object] | None:
        """None if there is no draft, it expired, or it no longer decrypts."""
        key = self._existing_key(chat)
        if key is None:  # no key file: no draft (or a shredded one), no query needed
            return None
        async with self.engine.connect() as connection:
            blob = await connection.scalar(_LOAD, {"chat_key": chat.key, "now": self.clock()})
        if blob is None:
            return None
        try:
            data = json.loads(sealed_drafts.open_draft(key, blob, chat_key=chat.key))
        except (aead.CryptoError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    async def save(self, chat: ChatRef, data: dict[str, object]) -> None:
        """Insert or replace in one statement (no read first, so no race between two).
        The key file is on disk before the row that needs it. The marker of the update
        being handled (storage/repositories/updates.py) is written in the same commit."""
        key = self._writing_key(chat)
        values: dict[str, Any] = {
            "chat_key": chat.key,
            "blob": sealed_drafts.seal_draft(key, json.dumps(data).encode(), chat_key=chat.key),
            "expires_at": round_up_to_hour(self.clock() + self.ttl),
        }
        async with self.engine.begin() as connection:
            await claim_pending_in(connection)
            await upsert(connection, Conversation, values, key=("chat_key",))

    async def delete(self, chat: ChatRef) -> None:
        """End the conversation: the row goes, then (after the commit) its key file."""
        async with self.engine.begin() as connection:
            await claim_pending_in(connection)
            await self.delete_in(connection, chat)
        self.draft_keys.forget(chat.key)

    async def delete_in(self, session: AsyncSession | AsyncConnection, chat: ChatRef) -> None:
        """The row's deletion inside the caller's transaction (filing a report); the
        caller calls `shred` right after the commit."""
        await session.execute(_DELETE, {"chat_key": chat.key})

    def shred(self, chat: ChatRef) -> None:
        self.draft_keys.forget(chat.key)

    async def purge_expired(self, now: datetime) -> int:
        """Delete drafts whose time is up and shred their keys (and any key file whose
        row is gone: a crash between a commit and its unlink); returns how many rows."""
        async with self.sessions() as session, session.begin():
            gone = list(
                await session.scalars(
                    delete(Conversation)
                    .where(Conversation.expires_at <= now)
                    .returning(Conversation.chat_key)
                )
            )
        for chat_key in gone:
            self.draft_keys.forget(chat_key)
        await self.sweep(min_age=SWEEP_MIN_AGE)
        return len(gone)

    async def sweep(self, *, min_age: float = 0.0) -> int:
        """Unlink every key file whose conversation row is gone or expired (at start-up
        with no age limit; in housekeeping sparing files younger than `min_age` seconds,
        whose row may be on its way); returns how many."""
        async with self.sessions() as session:
            live = await session.scalars(
                select(Conversation.chat_key).where(Conversation.expires_at > self.clock())
            )
            return self.draft_keys.sweep(live, min_age=min_age)
