"""Nudges: queued sealed, claimed once, deleted when sent, retried when not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.keys import KeyStore
from storage.models import StudentNudge
from storage.nudges import Nudges
from tests import storage_backends
from tests.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys


async def test_a_nudge_is_sealed_claimed_once_and_gone_when_sent(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    nudges = Nudges(backend.sessions, keys[0].server, clock=clock)
    other_replica = Nudges(backend.sessions, keys[0].server, clock=clock)
    await nudges.queue("telegram:5550001:nl")
    async with backend.sessions() as session:
        row = await session.scalar(select(StudentNudge))
    assert row is not None and b"5550001" not in row.target_sealed
    claimed = await nudges.due()
    assert [n.target for n in claimed] == ["telegram:5550001:nl"]
    assert await other_replica.due() == []  # leased: the second replica gets nothing
    await nudges.failed(claimed[0].id, "TelegramNetworkError", clock.now + timedelta(minutes=1))
    assert await nudges.due() == []
    clock.advance(timedelta(minutes=2))
    again = await nudges.due()
    assert [(n.target, n.attempts) for n in again] == [("telegram:5550001:nl", 1)]
    await nudges.sent(again[0].id)
    clock.advance(timedelta(hours=1))
    assert await nudges.due() == []
    async with backend.sessions() as session:
        assert (await session.scalars(select(StudentNudge))).all() == []
