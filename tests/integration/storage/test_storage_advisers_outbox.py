"""Advisers' keys (unlock by passphrase) and the notification outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.crypto import hpke_seal, private_keys
from storage.crypto.keys import KeyStore
from storage.repositories.advisers import AdviserAlreadyRegistered, AdviserKeys
from storage.repositories.outbox import Outbox
from storage.repositories.reports import NewReport, ReportStore
from tests.support import storage_backends
from tests.support.storage_backends import FAST, Backend, Clock
from tests.support.storage_helpers import unlock

backend = storage_backends.backend
keys = storage_backends.keys

PASSPHRASE = "correct horse battery staple"


async def test_register_and_unlock(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    advisers = AdviserKeys(backend.sessions, keys[0].server)
    private, public = hpke_seal.generate_keypair()
    protected = private_keys.protect_private_key(private, PASSPHRASE, FAST)
    assert not await advisers.has_key("anna")
    await advisers.register("anna", "hhs", public, protected)
    assert await advisers.has_key("anna")
    assert await advisers.public_keys(["anna", "bram"]) == {"anna": public}
    assert await advisers.public_keys([]) == {}
    unlocked = await unlock(advisers, "anna", PASSPHRASE)
    assert unlocked is not None and hpke_seal.public_bytes(unlocked) == public
    assert await unlock(advisers, "anna", "wrong passphrase") is None
    assert await unlock(advisers, "nobody", PASSPHRASE) is None
    with pytest.raises(AdviserAlreadyRegistered):
        await advisers.register("anna", "hhs", public, protected)
    with pytest.raises(ValueError):
        await advisers.register("bram", "hhs", b"short", protected)


async def _report_with_notifications(
    backend: Backend, keystore: KeyStore, clock: Clock, notify: tuple[tuple[str, str], ...]
) -> str:
    store = ReportStore(backend.sessions, keystore, clock=clock)
    filed = await store.file(
        NewReport(
            org_id="hhs",
            phase="interview",
            grounds=("origin",),
            when_bucket="month",
            wants="advice",
            visibility="school",
            urgent=True,
            content={"story": "geheim verhaal"},
            notify=notify,
        )
    )
    return filed.reference


async def test_outbox_due_sent_failed_retry(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    clock = Clock()
    reference = await _report_with_notifications(
        backend, keys[0], clock, (("anna", "telegram"), ("bram", "email"))
    )
    outbox = Outbox(backend.sessions, clock=clock, lease=timedelta(minutes=5))
    due = await outbox.due()
    assert [(d.adviser_id, d.channel, d.reference, d.org_id, d.attempts) for d in due] == [
        ("anna", "telegram", reference, "hhs", 0),
        ("bram", "email", reference, "hhs", 0),
    ]
    assert "geheim" not in repr(due)  # no content, ever
    assert await outbox.due() == []  # claimed: not handed out twice

    anna, bram = due
    await outbox.mark_sent(anna.id)
    await outbox.mark_failed(bram.id, "TelegramNetworkError" * 20, clock.now + timedelta(hours=1))
    clock.advance(timedelta(minutes=30))
    assert await outbox.due() == []  # bram waits for his retry time; anna is done
    clock.advance(timedelta(minutes=30))
    again = await outbox.due()
    assert [(d.id, d.attempts) for d in again] == [(bram.id, 1)]


async def test_a_crashed_sender_releases_its_claim_after_the_lease(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    await _report_with_notifications(backend, keys[0], clock, (("anna", "telegram"),))
    outbox = Outbox(backend.sessions, clock=clock, lease=timedelta(minutes=5))
    first = await outbox.due()
    assert len(first) == 1
    clock.advance(timedelta(minutes=4))
    assert await outbox.due() == []
    clock.advance(timedelta(minutes=1))
    assert [d.id for d in await outbox.due()] == [first[0].id]


async def test_two_replicas_never_claim_the_same_notification(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    for _ in range(3):
        await _report_with_notifications(
            backend, keys[0], clock, (("anna", "telegram"), ("bram", "telegram"))
        )
    replicas = [Outbox(backend.sessions, clock=clock) for _ in range(4)]
    batches = await asyncio.gather(*(r.due(limit=50) for r in replicas))
    ids = [d.id for batch in batches for d in batch]
    assert len(ids) == 6 and len(set(ids)) == 6
