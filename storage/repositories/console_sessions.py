"""Signed-in console sessions in the database, so that any replica serves any request.

Keyed by a hash of the cookie's token; the adviser's unlocked private key is sealed
under a key derived from that token (`console_session.seal_session_key`), which only the
adviser's browser holds. A disk copy of the database learns which advisers have a
session open and when they last used it, and opens nothing. Logout and the idle limit
delete the row; `purge` removes rows nobody came back for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import aead, console_session
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.models import ConsoleSessionRow
from storage.db.rows import rowcount

# A session in use is marked as used at most this often (one write a minute, not one a
# page); the idle limit is minutes, so this costs it nothing.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Expired:
    """The cookie's session existed but was idle too long (now deleted): the login page
    may say "your session expired", on whichever replica the next request lands."""


EXPIRED = Expired()


@dataclass(frozen=True)
class StoredSession:
    adviser_id: str
    private_key: X25519PrivateKey
    lang: str


class ConsoleSessions:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], idle: timedelta) -> None:
        self.sessions = sessions
        self.idle = idle

    async def put(
        self, token: str, adviser_id: str, private: X25519PrivateKey, lang: str, now: datetime
    ) -> None:
        row = ConsoleSessionRow(
            lookup=console_session.session_lookup(token),
            adviser_id=adviser_id,
            key_sealed=console_session.seal_session_key(token, private, adviser_id=adviser_id),
            lang=lang,
            last_seen=now,
        )
        async with self.sessions() as session, session.begin():
            session.add(row)

    async def load(self, token: str, now: datetime) -> StoredSession | Expired | None:
        """The live session for this cookie token (marking it used); `EXPIRED` when it
        was idle too long (then deleted); None: unknown, or not openable with this token."""
        lookup = console_session.session_lookup(token)
        async with self.sessions() as session, session.begin():
            row = await session.get(ConsoleSessionRow, lookup)
            if row is None:
                return None
            if now - row.last_seen > self.idle:
                await session.delete(row)
                return EXPIRED
            try:
                private = console_session.open_session_key(
                    token, row.key_sealed, adviser_id=row.adviser_id
                )
            except aead.CryptoError:
                return None
            if now - row.last_seen >= TOUCH_EVERY:
                row.last_seen = now
            return StoredSession(row.adviser_id, private, row.lang)

    async def set_lang(self, token: str, lang: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(ConsoleSessionRow)
                .where(ConsoleSessionRow.lookup == console_session.session_lookup(token))
                .values(lang=lang)
            )

    async def delete(self, token: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(ConsoleSessionRow).where(
                    ConsoleSessionRow.lookup == console_session.session_lookup(token)
                )
            )

    async def purge(self, now: datetime) -> int:
        """Delete every session idle for longer than the limit."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(ConsoleSessionRow).where(ConsoleSessionRow.last_seen < now - self.idle)
            )
        return rowcount(result)

    async def count(self) -> int:
        async with self.sessions() as session:
            rows = await session.scalars(select(ConsoleSessionRow.lookup))
            return len(list(rows))
