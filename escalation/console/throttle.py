"""Failed console logins counted by source address, in this process's memory only.

Two bounds, both checked and claimed before any Argon2id work (no await in between,
so parallel attempts cannot all slip past the count):

- per (account, source): `per_pair` failures within `window` lock that pair — the
  adviser's own browser elsewhere is not locked out by a stranger typing their e-mail
  address;
- per source, over all accounts: `per_source` failures within `window` stop that
  address from trying any account.

A success clears its pair and does not count against its source. An attempt a bound
refuses counts in that bound (the one rule of `vocabulary.window`): a guesser who keeps
going stays locked until they have been quiet for a window. The database keeps a
third, account-wide lock-out (`Accounts.max_failures`, set higher) for guessing spread
over many addresses. Addresses are kept as an HMAC under a key drawn at start, and
never written or logged. An IPv6 source counts by its /64 (`vocabulary.addresses`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.crypto.ephemeral import EphemeralHash
from vocabulary.addresses import bound_key
from vocabulary.window import SlidingWindows


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
        self._pairs: SlidingWindows[str, datetime] = SlidingWindows(per_pair)
        self._sources: SlidingWindows[str, datetime] = SlidingWindows(per_source)

    def _name(self, *parts: str) -> str:
        raw = "\x00".join(parts).encode()
        return self._names.name(raw)

    def claim(self, account: str, source: str, now: datetime) -> Attempt | Throttled:
        """Count one attempt before its work, or say until when this one must wait."""
        self._pairs.sweep(now)
        self._sources.sweep(now)
        source = bound_key(source)  # an IPv6 address counts by its /64
        pair = self._name("pair", account.strip().lower(), source)
        src = self._name("source", source)
        leaves = now + self.window
        for name, windows in ((pair, self._pairs), (src, self._sources)):
            if windows.full(name, now):
                windows.count(name, leaves)  # refused, and counted: the one rule
                return Throttled(windows.opens(name) or leaves, windows.size(name))
        self._pairs.count(pair, leaves)
        self._sources.count(src, leaves)
        return Attempt(pair, src, now)

    def failures(self, attempt: Attempt) -> int:
        """Failures of this pair so far (this one included), for the answer's delay."""
        return self._pairs.size(attempt.pair)

    def locked_now(self, attempt: Attempt) -> bool:
        """This failure used up the pair's or the source's last try."""
        return (
            self._pairs.size(attempt.pair) >= self.per_pair
            or self._sources.size(attempt.source) >= self.per_source
        )

    def succeeded(self, attempt: Attempt) -> None:
        self._pairs.forget(attempt.pair)
        self._sources.uncount(attempt.source, attempt.at + self.window)
