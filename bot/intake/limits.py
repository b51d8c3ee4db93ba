"""Flood control per conversation and one turn at a time per conversation, in memory;
every channel (Telegram, the web chat, WhatsApp) uses these two, none has its own.

Both protect the service, not a security boundary: a replica counts its own chats.
They live here, in the channel-neutral room, because only channels use them; the
counting rule itself (a refused input counts too) is `vocabulary.window`'s, shared with
the receipt-guessing bounds and the console's login throttle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Hashable

from vocabulary.window import SlidingWindows

WINDOW = 60.0


class Flood:
    """More than `limit` inputs a minute from one conversation: refused; the first
    refusal is said aloud, the rest are dropped quietly.

    The rule of `vocabulary.window`: a refused input counts too, so a sender who keeps
    flooding stays refused until they have been quiet for a while (instead of getting
    `limit` inputs through every minute); a student typing normally is never refused.
    """

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.clock = clock
        self.windows: SlidingWindows[Hashable, float] = SlidingWindows(limit)
        self.warned: set[Hashable] = set()

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        for quiet in self.windows.sweep(now):
            self.warned.discard(quiet)
        if not self.windows.admit(key, now, now + WINDOW):
            return False
        self.warned.discard(key)
        return True

    def first_refusal(self, key: Hashable) -> bool:
        if key in self.warned:
            return False
        self.warned.add(key)
        return True


class OneAtATime:
    """Keyed locks: two quick inputs of one conversation (two tabs of one web session,
    two Telegram messages handled as concurrent tasks) must not both load the same
    state and overwrite each other's answer. Turns of one key run in order, different
    keys side by side; a key nobody holds or awaits is forgotten."""

    def __init__(self) -> None:
        self.locks: dict[Hashable, asyncio.Lock] = {}
        self.users: defaultdict[Hashable, int] = defaultdict(int)

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock = self.locks.setdefault(key, asyncio.Lock())
        self.users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self.users[key] -= 1
            if self.users[key] == 0:
                del self.users[key]
                del self.locks[key]
