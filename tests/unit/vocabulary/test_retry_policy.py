"""The one retry policy (`vocabulary.retry`): the schedule Telegram, WhatsApp and the
outbox share, and the loop that asks its caller which failures are worth another try."""

from __future__ import annotations

import pytest

from escalation.casework.notify import retry_delay
from vocabulary.retry import Backoff, retry


def test_the_delay_doubles_gains_at_most_half_again_and_stops_at_the_cap() -> None:
    schedule = Backoff(base=0.5, cap=30.0)
    assert [schedule.delay(n, rand=lambda: 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert schedule.delay(2, rand=lambda: 1.0) == 1.5
    assert schedule.delay(10_000, rand=lambda: 1.0) == 30.0  # no overflow far past the cap
    assert schedule.asked(7) == 7.0 and schedule.asked(600) == 30.0


def test_the_outbox_waits_30_seconds_doubling_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in range(8)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert retry_delay(10_000).total_seconds() == 3600


class Flaky:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


async def test_the_loop_waits_what_the_caller_says_and_stops_when_told() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    def wait(error: Exception, attempt: int) -> float | None:
        return None if isinstance(error, KeyError) else float(attempt)

    flaky = Flaky(OSError(), OSError())
    assert await retry(flaky, wait, attempts=5, sleep=sleep) == "ok"
    assert (flaky.calls, slept) == (3, [1.0, 2.0])
    never = Flaky(KeyError("ours"), OSError())
    with pytest.raises(KeyError):
        await retry(never, wait, attempts=5, sleep=sleep)
    assert never.calls == 1
    down = Flaky(*[OSError()] * 3)
    with pytest.raises(OSError):
        await retry(down, wait, attempts=3, sleep=sleep)
    assert down.calls == 3 and slept == [1.0, 2.0, 1.0, 2.0]  # no wait after the last
