"""Bounds on receipt guessing beyond one chat: per client address and for the service.

The per-chat lock-out (`storage.repositories.attempts`) is keyed by the chat, and a web chat's chat
is a cookie: a new cookie is a new chat. So every receipt code is also counted here,
per client address (the web chat's; a Telegram chat has no address, its chat is its
client) and over all chats together, in sliding windows, before any Argon2id work.

A code is claimed before it is checked, with no await in between, so parallel guesses
cannot all pass the check; a code that opens a report is refunded (a student reading
their own report spends nothing). Wrong codes use up the windows, and so does a code
refused by one (the one rule of `vocabulary.window`: it is counted in the window that
refused it, so a guesser who keeps going stays refused until quiet; a refusal for the
client does not touch the overall window, so one address cannot use up everyone's).

Memory only, and addresses are kept only as an HMAC under a key drawn at start and
never written: nothing here reaches the database, a file or a log. A restart forgets
the windows (an attacker gains at most one window per restart, which they cannot cause).
An IPv6 address counts by its /64, an IPv4-mapped one as its IPv4 address
(`vocabulary.addresses`): one home connection is one client, not 2^64.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from storage.crypto.ephemeral import EphemeralHash
from vocabulary.addresses import bound_key
from vocabulary.window import SlidingWindows

EVERYONE = ""  # the overall window's one key


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
        self._clients: SlidingWindows[str, float] = SlidingWindows(per_client)
        self._all: SlidingWindows[str, float] = SlidingWindows(overall)

    def _name(self, address: str) -> str:
        key = bound_key(address)  # an IPv6 address counts by its /64
        if not key:
            return ""
        return self._names.name(key.encode())

    def claim(self, address: str) -> Claim | Refused:
        """Count one code from `address` ("" when the channel has none), or refuse."""
        now = self.clock()
        leaves = now + self.window
        client = self._name(address)
        if client:
            self._clients.sweep(now)
            if self._clients.full(client, now):
                self._clients.count(client, leaves)  # refused, and counted: the one rule
                return Refused("client", self._wait(self._clients, client, now))
        if self._all.full(EVERYONE, now):
            self._all.count(EVERYONE, leaves)
            return Refused("everyone", self._wait(self._all, EVERYONE, now))
        if client:
            self._clients.count(client, leaves)
        self._all.count(EVERYONE, leaves)
        return Claim(client, now)

    def refund(self, claim: Claim) -> None:
        """The code was right (or never checked): it does not count."""
        leaves = claim.at + self.window
        self._all.uncount(EVERYONE, leaves)
        if claim.client:
            self._clients.uncount(claim.client, leaves)

    @staticmethod
    def _wait(windows: SlidingWindows[str, float], key: str, now: float) -> float:
        opens = windows.opens(key)
        return 0.0 if opens is None else opens - now
