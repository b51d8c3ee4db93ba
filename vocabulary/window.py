"""Sliding windows per key: the one counting rule of every limiter in the service.

The limiters are Telegram's and the web chat's and WhatsApp's flood control
(`bot/intake/limits.py`), the receipt-guessing bounds (`bot/intake/guessing.py`) and the
console's login throttle (`escalation/console/throttle.py`). The throttle is in
`escalation`, which may import only `storage` and `vocabulary`, so the rule lives here.

The rule: **a refused arrival counts too**, in the window that refused it. A key is
let in while fewer than `limit` of its arrivals, let in or refused, fall in the last
`span`; an arrival leaves the window when it is `span` old. So

- a student typing normally (fewer than `limit` inputs a span) is never refused;
- a sender who keeps going over the limit stays refused until they have been quiet
  long enough, instead of getting `limit` through every span at full rate;
- one quiet span always opens the window again.

Only the newest `limit` arrivals of a key are kept: whether `limit` arrivals fall in the
span depends on the `limit`-th newest alone, so a flood costs no memory beyond that.
Times are what the caller's clock gives (seconds as floats, or datetimes); the window
stores when each arrival *leaves*, so it only ever compares two times of one kind.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Hashable
from datetime import datetime
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", float, datetime)

FORGET_AFTER = 10_000  # keys remembered before quiet ones are swept


class SlidingWindows(Generic[K, T]):
    """At most `limit` arrivals per key in a span; the caller gives each arrival the
    moment it leaves (its time plus the span), so one class serves floats and datetimes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._keys: dict[K, deque[T]] = {}

    def full(self, key: K, now: T) -> bool:
        """`limit` arrivals of `key` are still in the window at `now`."""
        window = self._keys.get(key)
        if window is None:
            return False
        while window and window[0] <= now:
            window.popleft()
        return len(window) >= self.limit

    def count(self, key: K, leaves: T) -> None:
        """Counts one arrival (let in or refused: the one rule) that leaves at `leaves`."""
        window = self._keys.get(key)
        if window is None:
            window = self._keys[key] = deque(maxlen=self.limit)
        window.append(leaves)

    def admit(self, key: K, now: T, leaves: T) -> bool:
        """Counts this arrival whatever the answer; True if the window had room for it."""
        room = not self.full(key, now)
        self.count(key, leaves)
        return room

    def opens(self, key: K) -> T | None:
        """When the oldest counted arrival leaves (the window then has room), if any."""
        window = self._keys.get(key)
        return window[0] if window else None

    def size(self, key: K) -> int:
        return len(self._keys.get(key, ()))

    def uncount(self, key: K, leaves: T) -> None:
        """Gives one counted arrival back (a right code, a login that succeeded)."""
        window = self._keys.get(key)
        if window is not None:
            with contextlib.suppress(ValueError):  # already left the window
                window.remove(leaves)

    def forget(self, key: K) -> None:
        self._keys.pop(key, None)

    def sweep(self, now: T) -> list[K]:
        """Past FORGET_AFTER keys, drops the ones whose window is empty at `now`; returns them."""
        if len(self._keys) < FORGET_AFTER:
            return []
        quiet = [k for k, w in self._keys.items() if not w or w[-1] <= now]
        for key in quiet:
            del self._keys[key]
        return quiet

    def __len__(self) -> int:
        return len(self._keys)
