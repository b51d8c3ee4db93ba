"""One retry policy: the delays between tries, and the loop that tries again.

Used by Telegram's request middleware (`bot/channels/telegram/retry.py`), the WhatsApp
Graph API client (`bot/channels/whatsapp/client.py`, both its loops) and the outbox's
delays (`escalation/casework/notify.py`, and the student nudges that share them). The
outbox is in `escalation`, which may import only `storage` and `vocabulary`, so the
policy lives here. Which errors are worth another try, and what a server asked for
(Telegram's `retry_after`), only the caller can tell: it says so through `wait`.

The rule: try `attempts` times at most; between tries wait what the server asked for
when it asked (never longer than the cap), else a delay that doubles per try from
`base`, with up to `jitter` of it added at random (so clients that failed together do
not come back together), never over `cap`.

aiogram's `utils.backoff.Backoff` was considered: it is an iterator carrying its state
from one delay to the next, its jitter is Gaussian (a delay can come out below the
minimum, or negative), and the outbox must compute a delay from a stored count of
attempts in a package that does not depend on aiogram; so the schedule is written here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

R = TypeVar("R")

_MAX_DOUBLINGS = 60  # far past any cap; keeps 2 ** n a float


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds to wait after failed try number `attempt` (1 for the first failure)."""

    base: float
    cap: float
    jitter: float = 0.5  # up to this fraction added at random; 0 for a fixed schedule

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        grown = self.base * 2.0 ** min(max(attempt - 1, 0), _MAX_DOUBLINGS)
        return min(grown * (1 + self.jitter * rand()), self.cap)

    def asked(self, seconds: float) -> float:
        """What the server asked for (a 429's retry_after), exactly, up to the cap."""
        return min(float(seconds), self.cap)


async def retry(
    once: Callable[[], Awaitable[R]],
    wait: Callable[[Exception, int], float | None],
    *,
    attempts: int,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> R:
    """`once()` until it returns, at most `attempts` times. After a failure that is not
    the last, `wait(error, attempt)` gives the seconds to wait, or None: not worth
    another try, the error is raised. The last failure is raised as it is."""
    for attempt in range(1, attempts + 1):
        try:
            return await once()
        except Exception as exc:
            if attempt == attempts:
                raise
            delay = wait(exc, attempt)
            if delay is None:
                raise
        await sleep(delay)
    raise ValueError("attempts must be at least 1")
