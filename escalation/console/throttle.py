"""Failed console logins counted by source address, in this process's memory only.

Two bounds, both checked and claimed before any Argon2id work (no await in between,
so parallel attempts cannot all slip past the count):

- per (account, source): `per_pair` failures within `window` lock that pair — the
  adviser's own browser elsewhere is not locked out by a stranger typing their e-mail
  address;
- per source, over all accounts: `per_source` failures within `window` stop that
  address from trying any account.

A success clears its pair and does not count against its source. The database keeps a
third, account-wide lock-out (`Accounts.max_failures`, set higher) for guessing spread
over many addresses. Addresses are kept as an HMAC under a key drawn at start, and
never written or logged.
"""

from __future__ import annotations

import contextlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.crypto.ephemeral import EphemeralHash

FORGET_AFTER = 10_000


@dataclass(frozen=True)
class Attempt:
    pair: str
    source: str
    at: datetime


@dataclass(frozen=True)
class Throttled:
    until: datetime
    failures: int


class LoginThrottle:
    def __init__(self, per_pair: int, per_source: int, window: timedelta) -> None:
        self.per_pair = per_pair
        self.per_source = per_source
        self.window = window
        self._names = EphemeralHash()
        self._pairs: dict[str, deque[datetime]] = {}
        self._sources: dict[str, deque[datetime]] = {}

    def _name(self, *parts: str) -> str:
        raw = "\x00".join(parts).encode()
        return self._names.name(raw)

    def claim(self, account: str, source: str, now: datetime) -> Attempt | Throttled:
        """Count one attempt before its work, or say until when this one must wait."""
        self._sweep(now)
        pair = self._name("pair", account.strip().lower(), source)
        src = self._name("source", source)
        for name, table, limit in (
            (pair, self._pairs, self.per_pair),
            (src, self._sources, self.per_source),
        ):
            window = table.get(name)
            if window is None:
                continue
            while window and now - window[0] >= self.window:
                window.popleft()
            if len(window) >= limit:
                return Throttled(window[0] + self.window, len(window))
        self._pairs.setdefault(pair, deque()).append(now)
        self._sources.setdefault(src, deque()).append(now)
        return Attempt(pair, src, now)

    def failures(self, attempt: Attempt) -> int:
        """Failures of this pair so far (this one included), for the answer's delay."""
        return len(self._pairs.get(attempt.pair, ()))

    def locked_now(self, attempt: Attempt) -> bool:
        """This failure used up the pair's or the source's last try."""
        return (
            len(self._pairs.get(attempt.pair, ())) >= self.per_pair
            or len(self._sources.get(attempt.source, ())) >= self.per_source
        )

    def succeeded(self, attempt: Attempt) -> None:
        self._pairs.pop(attempt.pair, None)
        window = self._sources.get(attempt.source)
        if window is not None:
            with contextlib.suppress(ValueError):
                window.remove(attempt.at)

    def _sweep(self, now: datetime) -> None:
        for table in (self._pairs, self._sources):
            if len(table) < FORGET_AFTER:
                continue
            for name in [n for n, w in table.items() if not w or now - w[-1] >= self.window]:
                del table[name]
