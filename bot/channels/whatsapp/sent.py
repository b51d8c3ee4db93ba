"""Messages sent in the last hour, in memory only, so a `failed` status callback can send
one again. Each is taken out at most once (a callback delivered twice resends once), and
dropped when delivered, read, or an hour old. Nothing of it is ever written down: it
holds a student's number and the words sent to them, like the nudge queue does."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KEEP_SECONDS = 3600.0
LIMIT = 10_000


@dataclass(frozen=True)
class Sent:
    to: str
    message: dict[str, Any]
    attempts: int  # sends so far of this message (1: the first)
    at: float


class SentMessages:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._by_id: OrderedDict[str, Sent] = OrderedDict()

    def remember(self, message_id: str, to: str, message: dict[str, Any], attempts: int) -> None:
        if not message_id:
            return
        now = self.clock()
        self._by_id[message_id] = Sent(to, message, attempts, now)
        while self._by_id:
            oldest = next(iter(self._by_id.values()))
            if len(self._by_id) <= LIMIT and now - oldest.at <= KEEP_SECONDS:
                break
            self._by_id.popitem(last=False)

    def take(self, message_id: str) -> Sent | None:
        return self._by_id.pop(message_id, None)

    def __len__(self) -> int:
        return len(self._by_id)
