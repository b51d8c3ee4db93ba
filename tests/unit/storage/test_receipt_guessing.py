"""The receipt-guessing measurement (tests/support/receipt_guessing.py) runs, and the bound it
rests on holds: the lock-out lets one chat try at most 20 codes an hour. No timing is
asserted; the numbers are in docs/security.md."""

from __future__ import annotations

from datetime import timedelta

from storage.crypto.kdf import KdfParams
from tests.support.receipt_guessing import Measured, argon2_cost, guesses_per_chat_per_hour, report


async def test_one_chat_gets_twenty_guesses_an_hour() -> None:
    """At most 5 per 15 minutes. A failure is stored rounded up to the window (no finer
    time on disk), so it counts one to two windows: the replay gets 12, not 20."""
    assert await guesses_per_chat_per_hour() == 12  # never more than 20
    assert await guesses_per_chat_per_hour(limit=3, window=timedelta(minutes=30)) == 4


def test_the_report_states_years_for_each_size() -> None:
    alone, per_hour = argon2_cost(KdfParams(iterations=1, lanes=1, memory_kib=1024), 2, 1)
    m = Measured(20, 1800, alone, per_hour, 2)
    text = report(m)
    assert "| 10,000 |" in text and "guesses/hour" in text
    assert m.years_to_hit(10_000, 20) > 5e6  # 10^16 / 10^4 / 20 per hour, in years
