"""How fast can someone guess receipt codes against /status? Measured, not asserted.

    .venv/bin/python -m tests.support.receipt_guessing  # prints the table docs/security.md quotes

What bounds a guesser:
- per chat, the lock-out (`status.max_failures` wrong codes within `status.lock_minutes`
  lock the chat): counted here by replaying an hour against `StatusAttempts` with a
  hand-moved clock — the real code, no sleeping;
- per chat, flood control (`conversation.messages_per_minute`), looser than the lock-out;
- for all chats together, the server's Argon2id throughput: every guess costs one
  derivation with the configured parameters (measured here on this machine, asked for
  from several threads as the service does; it derives on at most one thread per core).
From those, the expected time to hit any one of N stored reports: a guess opens a report
with probability N / 10^16, so it takes 10^16 / N guesses on average.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.crypto.kdf import KdfParams
from storage.crypto.receipt_keys import derive_receipt_keys, generate_receipt
from storage.db.engine import make_engine, migrate, session_factory
from storage.repositories.attempts import StatusAttempts

KEYSPACE = 10**16
HOUR = timedelta(hours=1)
YEAR_HOURS = 24 * 365.25


@dataclass(frozen=True)
class Measured:
    per_chat_per_hour: int  # wrong codes one chat can try in an hour (lock-out)
    flood_per_hour: int  # messages one chat may send in an hour (flood control)
    argon2_seconds: float  # one derivation, alone
    server_per_hour: float  # derivations per hour, `workers` at once
    workers: int

    def chats_to_saturate(self) -> float:
        return self.server_per_hour / self.per_chat_per_hour

    def years_to_hit(self, reports: int, per_hour: float) -> float:
        return KEYSPACE / reports / per_hour / YEAR_HOURS


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def guesses_per_chat_per_hour(
    limit: int = 5, window: timedelta = timedelta(minutes=15)
) -> int:
    """Replays an hour second by second: whenever the chat is not locked, it guesses."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'g.db'}")
        try:
            await migrate(engine)
            clock = _Clock()
            attempts = StatusAttempts(session_factory(engine), limit, window, clock)
            start, guesses = clock.now, 0
            while clock.now - start < HOUR:
                locked = await attempts.locked_for("guesser")
                if locked is None:
                    await attempts.record_failure("guesser")
                    guesses += 1
                    clock.now += timedelta(seconds=1)
                else:
                    clock.now += locked
            return guesses
        finally:
            await engine.dispose()


def argon2_cost(params: KdfParams, workers: int, rounds: int = 3) -> tuple[float, float]:
    """(seconds for one derivation alone, derivations per hour with `workers` at once)."""
    salt = os.urandom(16)
    started = time.perf_counter()
    for _ in range(rounds):
        derive_receipt_keys(generate_receipt(), salt, params)
    alone = (time.perf_counter() - started) / rounds
    batch = workers * rounds
    with ThreadPoolExecutor(workers) as pool:
        started = time.perf_counter()
        list(
            pool.map(lambda _: derive_receipt_keys(generate_receipt(), salt, params), range(batch))
        )
        elapsed = time.perf_counter() - started
    return alone, batch / elapsed * 3600


def measure(params: KdfParams | None = None, messages_per_minute: int = 30) -> Measured:
    params = params or KdfParams()  # the shipped default: 3 passes, 4 lanes, 64 MiB
    per_chat = asyncio.run(guesses_per_chat_per_hour())
    workers = max(2, os.cpu_count() or 2)
    alone, server = argon2_cost(params, workers)
    return Measured(per_chat, messages_per_minute * 60, alone, server, workers)


def report(m: Measured) -> str:
    lines = [
        f"cores: {os.cpu_count()}; Argon2id (3 passes, 4 lanes, 64 MiB): "
        f"{m.argon2_seconds * 1000:.0f} ms per guess alone",
        f"one chat: {m.per_chat_per_hour} guesses/hour (lock-out; flood control alone "
        f"would allow {m.flood_per_hour})",
        f"all chats: {m.server_per_hour:,.0f} guesses/hour ({m.workers} threads asking; "
        "the service derives on one thread per core), "
        f"reached with {m.chats_to_saturate():,.0f} chats",
        "",
        "| stored reports | one chat: expected years | all chats (server flat out): years |",
        "| --- | --- | --- |",
    ]
    for n in (100, 10_000, 1_000_000):
        one = m.years_to_hit(n, m.per_chat_per_hour)
        every = m.years_to_hit(n, m.server_per_hour)
        lines.append(f"| {n:,} | {one:,.3g} | {every:,.3g} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure()))
