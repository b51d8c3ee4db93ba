"""Console sessions, in this process's memory only.

The adviser's unlocked private key lives here and nowhere else: never in a cookie,
the database, a file or a log. The cookie holds only a random 256-bit id. A session
ends on logout, after the idle time, or when the service stops; with several replicas
a load balancer must keep an adviser on one (sticky sessions).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from escalation.directory import Adviser

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

    @property
    def signed_in(self) -> bool:
        return self.adviser is not None and self.private_key is not None


class SessionStore:
    """Anonymous sessions (a login form's CSRF token) and signed-in ones have separate
    room: anyone can make the first kind by the thousand, and when it is full the
    oldest *anonymous* one goes, never an adviser's session. Signed-in sessions are
    bounded by `max_signed_in` (only a correct login makes one)."""

    def __init__(self, idle: timedelta, max_sessions: int, max_signed_in: int = 1000) -> None:
        self.idle = idle
        self.max_sessions = max_sessions
        self.max_signed_in = max_signed_in
        self._sessions: dict[str, ConsoleSession] = {}  # anonymous ones
        self._signed_in: dict[str, ConsoleSession] = {}
        self._purged: datetime | None = None

    def new(self, now: datetime, lang: str = "nl") -> ConsoleSession:
        """An anonymous session (before login)."""
        self._purge(now, force=len(self._sessions) >= self.max_sessions)
        _make_room(self._sessions, self.max_sessions, self.drop)
        session = ConsoleSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, lang)
        self._sessions[session.id] = session
        return session

    def sign_in(
        self, now: datetime, lang: str, adviser: Adviser, private_key: X25519PrivateKey
    ) -> ConsoleSession:
        """A fresh session (new id) holding the adviser's unlocked key."""
        self._purge(now, force=len(self._signed_in) >= self.max_signed_in)
        _make_room(self._signed_in, self.max_signed_in, self.drop)
        session = ConsoleSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, lang)
        session.adviser, session.private_key = adviser, private_key
        self._signed_in[session.id] = session
        return session

    def get(self, session_id: str | None, now: datetime) -> ConsoleSession | None:
        """The live session for this id (touching it), or None if unknown or idle too long."""
        self._purge(now)
        session = self._signed_in.get(session_id or "") or self._sessions.get(session_id or "")
        if session is None:
            return None
        if now - session.last_seen > self.idle:
            self.drop(session.id)
            return None
        session.last_seen = now
        return session

    def drop(self, session_id: str) -> None:
        """Forget it, and with it the unlocked key."""
        session = self._sessions.pop(session_id, None) or self._signed_in.pop(session_id, None)
        if session is not None:
            session.private_key = None
            session.pending.clear()

    def __len__(self) -> int:
        return len(self._sessions) + len(self._signed_in)

    def _purge(self, now: datetime, *, force: bool = False) -> None:
        if not force and self._purged is not None and now - self._purged < _PURGE_EVERY:
            return
        self._purged = now
        for table in (self._sessions, self._signed_in):
            for stale in [s.id for s in table.values() if now - s.last_seen > self.idle]:
                self.drop(stale)


def _make_room(table: dict[str, ConsoleSession], limit: int, drop: Callable[[str], None]) -> None:
    while table and len(table) >= limit:  # still full: drop the oldest of this kind
        drop(min(table.values(), key=lambda s: s.last_seen).id)
