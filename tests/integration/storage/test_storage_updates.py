"""Update dedupe: each (source, update_id) is handled once, even under a race."""

from __future__ import annotations

import asyncio
import gc
from datetime import timedelta
from pathlib import Path

import pytest

from storage.crypto.draft_keys import DraftKeys
from storage.repositories.conversations import ChatRef, ConversationStore
from storage.repositories.updates import AlreadyHandled, UpdateLog
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock

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


async def test_a_turns_marker_is_written_with_its_conversation_in_one_commit(
    backend: Backend, tmp_path: Path
) -> None:
    """One commit per turn: the seen-once marker rides on the conversation's save; a
    second delivery of the same update finds it there and its save rolls back whole."""
    log = UpdateLog(backend.sessions)
    store = ConversationStore(backend.sessions, DraftKeys(tmp_path / "drafts"))
    chat = ChatRef("c" * 64, b"4242")
    with log.pending("telegram", 7) as marker:
        assert not await log.seen("telegram", 7)
        await store.save(chat, {"step": "phase"})
        assert marker.claimed
        await store.save(chat, {"step": "story"})  # a second save in the turn: no conflict
    assert await log.seen("telegram", 7)
    with log.pending("telegram", 7), pytest.raises(AlreadyHandled):
        await store.save(chat, {"step": "grounds"})
    assert await store.load(chat) == {"step": "story"}  # the duplicate changed nothing
    with log.pending("telegram", 7), pytest.raises(AlreadyHandled):
        await store.delete(chat)
    assert await store.load(chat) == {"step": "story"}


async def test_claiming_before_an_action_lets_one_delivery_act(backend: Backend) -> None:
    log = UpdateLog(backend.sessions)
    with log.pending("telegram", 8) as marker:
        await log.claim()
        assert marker.claimed and await log.seen("telegram", 8)
    with log.pending("telegram", 8), pytest.raises(AlreadyHandled):
        await log.claim()
    await log.claim()  # nothing pending (web chat, WhatsApp): nothing to do
