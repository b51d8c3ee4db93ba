"""Update dedupe: each (source, update_id) is handled once, even under a race."""

from __future__ import annotations

import asyncio
import gc
from datetime import timedelta

from storage.updates import UpdateLog
from tests import storage_backends
from tests.storage_backends import Backend, Clock

backend = storage_backends.backend


async def test_first_time_only_once(backend: Backend) -> None:
    log = UpdateLog(backend.sessions)
    assert await log.first_time("telegram", 1)
    assert not await log.first_time("telegram", 1)
    assert await log.first_time("telegram", 2)
    assert await log.first_time("web", 1)  # another source, another counter
    assert await log.first_time("telegram", 2**40)  # Telegram ids outgrow 32 bits


async def test_concurrent_inserts_let_exactly_one_win(backend: Backend) -> None:
    """Also the regression test for SQLite stalling under concurrent writes (see db.py):
    with a pool of several connections this failed within a few rounds."""
    log = UpdateLog(backend.sessions)
    thresholds = gc.get_threshold()
    gc.set_threshold(50, 1, 1)  # collect often, as a busy service would
    try:
        for update_id in range(100, 130):
            results = await asyncio.gather(
                *(log.first_time("telegram", update_id) for _ in range(6))
            )
            assert sorted(results) == [False] * 5 + [True]
    finally:
        gc.set_threshold(*thresholds)


async def test_purge_forgets_old_updates(backend: Backend) -> None:
    clock = Clock()
    log = UpdateLog(backend.sessions, clock=clock)
    await log.first_time("telegram", 1)
    clock.advance(timedelta(days=3))
    await log.first_time("telegram", 2)
    assert await log.purge(clock.now - timedelta(days=2)) == 1
    assert await log.first_time("telegram", 1)  # forgotten, so new again
    assert not await log.first_time("telegram", 2)
