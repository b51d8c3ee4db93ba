"""Bounds on receipt guessing beyond one chat: per client address and for the service.

The per-chat lock-out (`storage.repositories.attempts`) is keyed by the chat, and a web chat's chat
is a cookie: a new cookie is a new chat. So every receipt code is also counted here,
per client address (the web chat's; a Telegram chat has no address, its chat is its
client) and over all chats together, in sliding windows, before any Argon2id work.

A code is claimed before it is checked, with no await in between, so parallel guesses
cannot all pass the check; a code that opens a report is refunded (a student reading
their own report spends nothing). Only wrong codes use up the windows.

Memory only, and addresses are kept only as an HMAC under a key drawn at start and
never written: nothing here reaches the database, a file or a log. A restart forgets
the windows (an attacker gains at most one window per restart, which they cannot cause).
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from storage.crypto.ephemeral import EphemeralHash

FORGET_AFTER = 10_000  # addresses remembered before quiet ones are swept


@dataclass(frozen=True)
class Claim:
    """One code being checked; hand it back with `refund` if the code was right."""

    client: str  # the address's HMAC, "" for none
    at: float


@dataclass(frozen=True)
class Refused:
    why: Literal["client", "everyone"]
    wait: float  # seconds until the oldest counted attempt leaves the window


class GuessLimits:
    def __init__(
        self,
        per_client: int,
        overall: int,
        window: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_client = per_client
        self.overall = overall
        self.window = window
        self.clock = clock
        self._names = EphemeralHash()
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _name(self, address: str) -> str:
        if not address:
            return ""
        return self._names.name(address.encode())

    def claim(self, address: str) -> Claim | Refused:
        """Count one code from `address` ("" when the channel has none), or refuse."""
        now = self.clock()
        self._expire(self._all, now)
        client = self._name(address)
        mine = self._clients.get(client) if client else None
        if mine is not None:
            self._expire(mine, now)
            if len(mine) >= self.per_client:
                return Refused("client", mine[0] + self.window - now)
        if len(self._all) >= self.overall:
            return Refused("everyone", self._all[0] + self.window - now)
        if client:
            self._sweep(now)
            self._clients.setdefault(client, deque()).append(now)
        self._all.append(now)
        return Claim(client, now)

    def refund(self, claim: Claim) -> None:
        """The code was right (or never checked): it does not count."""
        _remove(self._all, claim.at)
        mine = self._clients.get(claim.client)
        if mine is not None:
            _remove(mine, claim.at)

    def _expire(self, window: deque[float], now: float) -> None:
        while window and now - window[0] >= self.window:
            window.popleft()

    def _sweep(self, now: float) -> None:
        if len(self._clients) < FORGET_AFTER:
            return
        for client in [c for c, w in self._clients.items() if not w or now - w[-1] >= self.window]:
            del self._clients[client]


def _remove(window: deque[float], at: float) -> None:
    with contextlib.suppress(ValueError):  # already left the window
        window.remove(at)
