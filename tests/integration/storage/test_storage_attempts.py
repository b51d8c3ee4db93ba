"""Status-check rate limit: five wrong receipts in fifteen minutes lock a chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.db.models import StatusAttempt
from storage.repositories.attempts import StatusAttempts
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend


async def test_locks_after_five_within_the_window_and_releases(backend: Backend) -> None:
    clock = Clock()
    attempts = StatusAttempts(backend.sessions, clock=clock)
    chat, other = "a" * 64, "b" * 64
    left = []
    for _ in range(5):
        assert await attempts.locked_for(chat) is None
        left.append(await attempts.record_failure(chat))
        clock.advance(timedelta(minutes=1))
    assert left == [4, 3, 2, 1, 0]
    # first failure at t=0, now t=5min: locked until t=15min
    assert await attempts.locked_for(chat) == timedelta(minutes=10)
    assert await attempts.locked_for(other) is None  # per chat
    clock.advance(timedelta(minutes=9, seconds=59))
    assert await attempts.locked_for(chat) == timedelta(seconds=1)
    clock.advance(timedelta(seconds=1))
    # the oldest failure left the window: four remain, one more try allowed
    assert await attempts.locked_for(chat) is None
    assert await attempts.record_failure(chat) == 0
    assert await attempts.locked_for(chat) is not None


async def test_failures_spread_over_time_never_lock(backend: Backend) -> None:
    """A failure is stored rounded up to the window's grain (no finer time on disk), so
    it counts for one to two windows: one failure every seven minutes never locks."""
    clock = Clock()
    attempts = StatusAttempts(backend.sessions, clock=clock)
    for _ in range(12):
        await attempts.record_failure("c" * 64)
        assert await attempts.locked_for("c" * 64) is None
        clock.advance(timedelta(minutes=7))


async def test_custom_limit_and_purge(backend: Backend) -> None:
    clock = Clock()
    attempts = StatusAttempts(backend.sessions, limit=2, window=timedelta(minutes=1), clock=clock)
    assert await attempts.record_failure("d" * 64) == 1
    assert await attempts.record_failure("d" * 64) == 0
    assert await attempts.locked_for("d" * 64) == timedelta(minutes=1)
    clock.advance(timedelta(minutes=1))
    assert await attempts.locked_for("d" * 64) is None
    await attempts.record_failure("e" * 64)
    assert await attempts.purge(clock.now) == 2
    async with backend.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StatusAttempt)) == 1
