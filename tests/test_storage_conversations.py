"""Conversation drafts: sealed, keyed by the chat hash, expiring, and robust to garbage."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from storage.conversations import ConversationStore
from storage.crypto import ServerKey
from storage.keys import KeyStore
from storage.models import Conversation
from tests import storage_backends
from tests.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys

TTL = timedelta(hours=72)


def make(backend: Backend, server: ServerKey, clock: Clock) -> ConversationStore:
    return ConversationStore(backend.sessions, server, ttl=TTL, clock=clock)


async def test_save_load_overwrite_delete(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    server = keys[0].server
    clock = Clock()
    store = make(backend, server, clock)
    chat = server.chat_key("telegram", "4242")
    assert await store.load(chat) is None
    await store.save(chat, {"step": "story", "answers": {"phase": "during"}, "n": 1})
    assert await store.load(chat) == {"step": "story", "answers": {"phase": "during"}, "n": 1}
    clock.advance(timedelta(minutes=5))
    await store.save(chat, {"step": "grounds"})  # upsert replaces
    assert await store.load(chat) == {"step": "grounds"}
    async with backend.sessions() as session:
        row = await session.get(Conversation, chat)
    assert row is not None
    assert (row.updated_at, row.expires_at) == (clock.now, clock.now + TTL)
    other = server.chat_key("telegram", "4343")
    assert await store.load(other) is None
    await store.delete(chat)
    assert await store.load(chat) is None
    await store.delete(chat)  # deleting nothing is fine


async def test_expiry_and_purge(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    server = keys[0].server
    clock = Clock()
    store = make(backend, server, clock)
    old, fresh = server.chat_key("telegram", "1"), server.chat_key("telegram", "2")
    await store.save(old, {"step": "phase"})
    clock.advance(timedelta(hours=48))
    await store.save(fresh, {"step": "phase"})
    clock.advance(timedelta(hours=24, seconds=1))
    assert await store.load(old) is None  # expired, even before the purge
    assert await store.load(fresh) == {"step": "phase"}
    assert await store.purge_expired(clock.now) == 1
    assert await store.purge_expired(clock.now) == 0
    async with backend.sessions() as session:
        left = (await session.scalars(select(Conversation.chat_key))).all()
    assert left == [fresh]


async def test_garbage_gives_none_not_an_exception(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    server = keys[0].server
    store = make(backend, server, Clock())
    a, b = server.chat_key("telegram", "1"), server.chat_key("telegram", "2")
    await store.save(a, {"step": "a"})
    await store.save(b, {"step": "b"})
    async with backend.sessions() as session, session.begin():
        blob_a = await session.scalar(select(Conversation.blob).where(Conversation.chat_key == a))
        # someone moves a's draft under b's key: the AAD (chat hash) refuses it
        await session.execute(
            update(Conversation).where(Conversation.chat_key == b).values(blob=blob_a)
        )
    assert await store.load(b) is None
    assert await store.load(a) == {"step": "a"}

    for junk in (b"", b"\x00" * 40, b"not encrypted at all, just text padding"):
        async with backend.sessions() as session, session.begin():
            await session.execute(
                update(Conversation).where(Conversation.chat_key == a).values(blob=junk)
            )
        assert await store.load(a) is None

    # valid ciphertext of something that isn't a JSON object
    await store.save(a, ["a", "list"])  # type: ignore[arg-type]
    assert await store.load(a) is None
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.chat_key == a)
            .values(blob=server.seal_state(b"{not json", chat_key=a))
        )
    assert await store.load(a) is None

    # a draft sealed by another server key (e.g. keys restored from the wrong backup)
    stranger = make(backend, ServerKey(b"x" * 32), Clock())
    await stranger.save(a, {"step": "other"})
    assert await store.load(a) is None


async def test_concurrent_saves_of_a_new_chat_do_not_collide(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    server = keys[0].server
    store = make(backend, server, Clock())
    chat = server.chat_key("telegram", "77")
    await asyncio.gather(*(store.save(chat, {"n": i}) for i in range(8)))
    loaded = await store.load(chat)
    assert loaded is not None and loaded["n"] in range(8)
