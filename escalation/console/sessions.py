"""Console sessions: the cookie's token, this process's cache, and the database.

The cookie holds only a random 256-bit token. With the shared store (the service always
has one: `storage.repositories.console_sessions`), a signed-in session is a database row holding the
adviser's private key sealed under a key derived from that token, so any replica opens
it for the adviser's browser and nobody opens it without: no sticky sessions. Every
request reads the row (`SharedSessions`), so a logout on one replica ends the session
on all of them; what a handler changes (sign in, drop, language) is written before the
response's first byte. The CSRF token is derived from the cookie's token, so a login
form served by one replica can be posted to another.

Still per process: the unlocked key between the two steps of an enrolment or a
recovery (`pending`), which exists nowhere else yet. A session ends on logout or after
the idle time (the row is deleted), or by `purge`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escalation.casework.directory import Adviser
from storage.crypto import console_session, tokens
from storage.crypto.private_keys import X25519PrivateKey
from storage.repositories.console_sessions import ConsoleSessions, Expired

COOKIE = "stagemeld_console"
_PURGE_EVERY = timedelta(minutes=1)


@dataclass
class ConsoleSession:
    id: str
    csrf: str
    last_seen: datetime
    lang: str = "nl"
    adviser: Adviser | None = None
    private_key: X25519PrivateKey | None = field(default=None, repr=False)
    pending: dict[str, Any] = field(default_factory=dict, repr=False)  # enrolment steps
    stored_lang: str | None = None  # the language in the shared store, if it is there
    expired: bool = False  # made for a cookie whose signed-in session ran out

    @property
    def signed_in(self) -> bool:
        return self.adviser is not None and self.private_key is not None


# The database writes a request's handler asked for, done before its response starts.
_WRITES: contextvars.ContextVar[list[Callable[[], Awaitable[None]]] | None] = (
    contextvars.ContextVar("console_session_writes", default=None)
)


def _later(write: Callable[[], Awaitable[None]]) -> None:
    writes = _WRITES.get()
    if writes is None:
        raise RuntimeError("a shared console session changed outside a request")
    writes.append(write)


class SessionStore:
    """Anonymous sessions (a login form's CSRF token) and signed-in ones have separate
    room: anyone can make the first kind by the thousand, and when it is full the
    oldest *anonymous* one goes, never an adviser's session. Signed-in sessions are
    bounded by `max_signed_in` (only a correct login makes one). With `shared`, the
    signed-in ones here are a cache of the database's, refreshed by every request."""

    def __init__(
        self,
        idle: timedelta,
        max_sessions: int,
        max_signed_in: int = 1000,
        shared: ConsoleSessions | None = None,
        advisers: Callable[[str], Adviser | None] = lambda _: None,
    ) -> None:
        self.idle = idle
        self.max_sessions = max_sessions
        self.max_signed_in = max_signed_in
        self.shared = shared
        self.advisers = advisers
        self._sessions: dict[str, ConsoleSession] = {}  # anonymous ones
        self._signed_in: dict[str, ConsoleSession] = {}
        self._expired: set[str] = set()  # tokens whose stored session ran out, until seen
        self._purged: datetime | None = None

    def _session(self, token: str, now: datetime, lang: str) -> ConsoleSession:
        csrf = console_session.session_csrf(token) if self.shared else tokens.new_token(32)
        return ConsoleSession(token, csrf, now, lang)

    def new(self, now: datetime, lang: str = "nl") -> ConsoleSession:
        """An anonymous session (before login)."""
        self._purge(now, force=len(self._sessions) >= self.max_sessions)
        _make_room(self._sessions, self.max_sessions, self.drop)
        session = self._session(tokens.new_token(32), now, lang)
        self._sessions[session.id] = session
        return session

    def sign_in(
        self, now: datetime, lang: str, adviser: Adviser, private_key: X25519PrivateKey
    ) -> ConsoleSession:
        """A fresh session (new id) holding the adviser's unlocked key."""
        self._purge(now, force=len(self._signed_in) >= self.max_signed_in)
        _make_room(self._signed_in, self.max_signed_in, self._forget)
        session = self._session(tokens.new_token(32), now, lang)
        session.adviser, session.private_key = adviser, private_key
        self._signed_in[session.id] = session
        if self.shared is not None:
            shared, token = self.shared, session.id
            session.stored_lang = lang
            _later(lambda: shared.put(token, adviser.id, private_key, lang, now))
        return session

    def get(self, session_id: str | None, now: datetime) -> ConsoleSession | None:
        """The live session for this id (touching it), or None if unknown or idle too long.

        With the shared store, an unknown token is an anonymous session whose CSRF token
        follows from it (a form served by another replica)."""
        self._purge(now)
        session = self._signed_in.get(session_id or "") or self._sessions.get(session_id or "")
        if session is None:
            return self._adopt(session_id, now)
        if now - session.last_seen > self.idle:
            self.drop(session.id)
            return None
        session.last_seen = now
        return session

    def _adopt(self, token: str | None, now: datetime) -> ConsoleSession | None:
        if self.shared is None or not token or len(token) != len(tokens.new_token(32)):
            return None
        _make_room(self._sessions, self.max_sessions, self.drop)
        session = self._session(token, now, "nl")
        if token in self._expired:
            self._expired.discard(token)
            session.expired = True
        self._sessions[token] = session
        return session

    def drop(self, session_id: str) -> None:
        """Forget it, and with it the unlocked key (everywhere, with the shared store)."""
        if self.shared is not None and session_id in self._signed_in:
            shared = self.shared
            _later(lambda: shared.delete(session_id))
        self._forget(session_id)

    def _forget(self, session_id: str) -> None:
        """Forget this process's copy only."""
        session = self._sessions.pop(session_id, None) or self._signed_in.pop(session_id, None)
        if session is not None:
            session.private_key = None
            session.pending.clear()

    async def refresh(self, token: str | None, now: datetime) -> None:
        """Before a request: this process's copy of the signed-in session follows the
        database's (made from it, dropped if it is gone or idle)."""
        if self.shared is None or not token:
            return
        stored = await self.shared.load(token, now)
        if isinstance(stored, Expired):
            self._forget(token)
            self._expired.add(token)
            return
        adviser = self.advisers(stored.adviser_id) if stored is not None else None
        if stored is None or adviser is None:
            if token in self._signed_in:
                self._forget(token)
            return
        session = self._signed_in.get(token)
        if session is None:
            self._sessions.pop(token, None)
            _make_room(self._signed_in, self.max_signed_in, self._forget)
            session = self._session(token, now, stored.lang)
            self._signed_in[token] = session
        session.adviser, session.private_key = adviser, stored.private_key
        session.lang = session.stored_lang = stored.lang
        session.last_seen = now

    def remember_lang(self, token: str | None) -> None:
        """After a request: a language chosen on this page sticks on every replica."""
        session = self._signed_in.get(token or "")
        if session is None:
            return
        if self.shared is not None and session.stored_lang not in (None, session.lang):
            shared, token, lang = self.shared, session.id, session.lang
            session.stored_lang = lang
            _later(lambda: shared.set_lang(token, lang))

    def __len__(self) -> int:
        return len(self._sessions) + len(self._signed_in)

    def _purge(self, now: datetime, *, force: bool = False) -> None:
        if not force and self._purged is not None and now - self._purged < _PURGE_EVERY:
            return
        self._purged = now
        for table in (self._sessions, self._signed_in):
            for stale in [s.id for s in table.values() if now - s.last_seen > self.idle]:
                self._forget(stale)  # the database's copy: `ConsoleSessions.purge`


class SharedSessions:
    """ASGI middleware of the console: refreshes the request's session from the database
    before the handler, and writes what the handler changed before the response starts
    (so the next request, on any replica, finds it)."""

    def __init__(self, app: ASGIApp, store: SessionStore, clock: Callable[[], datetime]) -> None:
        self.app, self.store, self.clock = app, store, clock
        self._purged: datetime | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.store.shared is None:
            await self.app(scope, receive, send)
            return
        token = HTTPConnection(scope).cookies.get(COOKIE)
        now = self.clock()
        await self.store.refresh(token, now)  # first: an idle session is told it expired
        await self._purge(now)
        writes: list[Callable[[], Awaitable[None]]] = []
        reset = _WRITES.set(writes)

        async def written_first(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.store.remember_lang(token)
                while writes:
                    await writes.pop(0)()
            await send(message)

        try:
            await self.app(scope, receive, written_first)
        finally:
            _WRITES.reset(reset)

    async def _purge(self, now: datetime) -> None:
        if self.store.shared is not None and (
            self._purged is None or now - self._purged >= _PURGE_EVERY
        ):
            self._purged = now
            await self.store.shared.purge(now)


def _make_room(table: dict[str, ConsoleSession], limit: int, drop: Callable[[str], None]) -> None:
    while table and len(table) >= limit:  # still full: drop the oldest of this kind
        drop(min(table.values(), key=lambda s: s.last_seen).id)
