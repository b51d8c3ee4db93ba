"""Per-session flood control and one turn at a time per conversation, in memory.

Both protect the service, not a security boundary: a replica counts its own sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable

WINDOW = 60.0
FORGET_AFTER = 10_000  # sessions remembered before quiet ones are swept


class Flood:
    """More than `limit` frames a minute: refused; the first refusal is said aloud."""

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.clock = clock
        self.seen: defaultdict[str, deque[float]] = defaultdict(deque)
        self.warned: set[str] = set()

    def allow(self, key: str) -> bool:
        now = self.clock()
        self._sweep(now)
        window = self.seen[key]
        while window and now - window[0] > WINDOW:
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        self.warned.discard(key)
        return True

    def first_refusal(self, key: str) -> bool:
        if key in self.warned:
            return False
        self.warned.add(key)
        return True

    def _sweep(self, now: float) -> None:
        if len(self.seen) < FORGET_AFTER:
            return
        for key in [k for k, w in self.seen.items() if not w or now - w[-1] > WINDOW]:
            del self.seen[key]
            self.warned.discard(key)


class OneAtATime:
    """Two tabs of one session, or two quick frames, must not both load the same state
    and overwrite each other's answer."""

    def __init__(self) -> None:
        self.locks: dict[str, asyncio.Lock] = {}
        self.users: defaultdict[str, int] = defaultdict(int)

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
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
