"""Conversation drafts: sealed with a shreddable key per conversation, keyed by the chat
hash, expiring, and robust to garbage."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from storage.crypto import aead, sealed_drafts
from storage.crypto.draft_keys import DraftKeys
from storage.crypto.keys import KeyStore
from storage.crypto.server_key import ServerKey
from storage.db.models import Conversation
from storage.repositories.conversations import ChatRef, ConversationStore
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock
from tests.support.storage_helpers import opens_under_the_old_draft_scheme

backend = storage_backends.backend
keys = storage_backends.keys

TTL = timedelta(hours=72)


def make(backend: Backend, keys: KeyStore, clock: Clock) -> ConversationStore:
    return ConversationStore(backend.sessions, DraftKeys(keys.dir), ttl=TTL, clock=clock)


def ref(server: ServerKey, chat_id: str, channel: str = "telegram") -> ChatRef:
    return ChatRef(server.chat_key(channel, chat_id), chat_id.encode())


async def test_save_load_overwrite_delete(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    server = keys[0].server
    clock = Clock()
    store = make(backend, keys[0], clock)
    chat = ref(server, "4242")
    assert await store.load(chat) is None
    await store.save(chat, {"step": "story", "answers": {"phase": "during"}, "n": 1})
    assert await store.load(chat) == {"step": "story", "answers": {"phase": "during"}, "n": 1}
    clock.advance(timedelta(minutes=5))
    await store.save(chat, {"step": "grounds"})  # upsert replaces
    assert await store.load(chat) == {"step": "grounds"}
    async with backend.sessions() as session:
        row = await session.get(Conversation, chat.key)
    assert row is not None
    # 09:05 + 72 h, rounded up to the hour: no time finer than that
    assert row.expires_at == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert not hasattr(row, "updated_at")
    other = ref(server, "4343")
    assert await store.load(other) is None
    await store.delete(chat)
    assert await store.load(chat) is None
    await store.delete(chat)  # deleting nothing is fine


async def test_expiry_and_purge(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    server = keys[0].server
    clock = Clock()
    store = make(backend, keys[0], clock)
    old, fresh = ref(server, "1"), ref(server, "2")
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
    assert left == [fresh.key]
    assert sorted(p.name for p in (keys[0].dir / "drafts").iterdir()) == [fresh.key]


async def test_garbage_gives_none_not_an_exception(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    server = keys[0].server
    store = make(backend, keys[0], Clock())
    a, b = ref(server, "1"), ref(server, "2")
    await store.save(a, {"step": "a"})
    await store.save(b, {"step": "b"})
    async with backend.sessions() as session, session.begin():
        blob_a = await session.scalar(
            select(Conversation.blob).where(Conversation.chat_key == a.key)
        )
        # someone moves a's draft under b's key: the AAD (chat hash) refuses it
        await session.execute(
            update(Conversation).where(Conversation.chat_key == b.key).values(blob=blob_a)
        )
    assert await store.load(b) is None
    assert await store.load(a) == {"step": "a"}

    for junk in (b"", b"\x00" * 40, b"not encrypted at all, just text padding"):
        async with backend.sessions() as session, session.begin():
            await session.execute(
                update(Conversation).where(Conversation.chat_key == a.key).values(blob=junk)
            )
        assert await store.load(a) is None

    # valid ciphertext of something that isn't a JSON object
    await store.save(a, ["a", "list"])  # type: ignore[arg-type]
    assert await store.load(a) is None
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.chat_key == a.key)
            .values(blob=sealed_drafts.seal_draft(_key_of(store, a), b"{not json", chat_key=a.key))
        )
    assert await store.load(a) is None

    # the right chat hash with the wrong chat id: the id is part of the key
    await store.save(a, {"step": "a"})
    assert await store.load(ChatRef(a.key, b"2")) is None


async def test_concurrent_saves_of_a_new_chat_do_not_collide(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    server = keys[0].server
    store = make(backend, keys[0], Clock())
    chat = ref(server, "77")
    await asyncio.gather(*(store.save(chat, {"n": i}) for i in range(8)))
    loaded = await store.load(chat)
    assert loaded is not None and loaded["n"] in range(8)


async def test_a_draft_key_file_is_private_and_goes_with_the_conversation(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Each conversation has its own key file, 0600, unlinked when the conversation
    ends; a sweep takes files whose row is gone (a crash residue)."""
    server = keys[0].server
    store = make(backend, keys[0], Clock())
    chat = ref(server, "4242")
    await store.save(chat, {"step": "story"})
    path = keys[0].dir / "drafts" / chat.key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == aead.KEY_LEN
    await store.delete(chat)
    assert not path.exists()
    # a file left by a crash between a commit and its unlink: the sweep takes it
    orphan = ref(server, "99")
    await store.save(orphan, {"step": "story"})
    live = ref(server, "100")
    await store.save(live, {"step": "story"})
    async with backend.sessions() as session, session.begin():
        await session.execute(delete(Conversation).where(Conversation.chat_key == orphan.key))
    assert await store.sweep() == 1
    assert sorted(os.listdir(keys[0].dir / "drafts")) == [live.key]
    assert await store.load(live) == {"step": "story"}


async def _versions(backend: Backend, chat: ChatRef) -> bytes:
    async with backend.sessions() as session:
        blob = await session.scalar(
            select(Conversation.blob).where(Conversation.chat_key == chat.key)
        )
    assert blob is not None
    return blob


def _openers(keys: KeyStore, chat: ChatRef) -> list[bytes]:
    """Every key a disk copy (database + keys.dir) and the chat id give an attacker."""
    out = []
    drafts = keys.dir / "drafts"
    for path in drafts.iterdir() if drafts.is_dir() else ():
        out.append(sealed_drafts.draft_key(path.read_bytes(), chat.key, chat.secret))
    return out


def _opens(keys: KeyStore, chat: ChatRef, blob: bytes) -> bool:
    if opens_under_the_old_draft_scheme(keys, blob, chat.key):  # the server key's
        return True
    for key in _openers(keys, chat):
        try:
            sealed_drafts.open_draft(key, blob, chat_key=chat.key)
            return True
        except aead.CryptoError:
            continue
    return False


async def test_old_versions_of_an_ended_draft_open_with_nothing_on_disk(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Every version of a draft that a WAL or a dead tuple still holds, read with
    keys.dir and the chat id, opens nothing once the conversation has ended (stopped,
    erased or filed) — while it was live, the same copy did open it."""
    server = keys[0].server
    store = make(backend, keys[0], Clock())
    chat = ref(server, "4242")
    versions = []
    for n in range(6):
        await store.save(chat, {"story": f"MARKER-{n} mijn manager zei iets"})
        versions.append(await _versions(backend, chat))
    assert all(_opens(keys[0], chat, v) for v in versions)  # a live draft: file + chat id
    await store.delete(chat)
    assert not any(_opens(keys[0], chat, v) for v in versions)
    if backend.sqlite_path is not None:  # and nothing in the clear in the files themselves
        for suffix in ("", "-wal", "-shm"):
            path = backend.sqlite_path.with_name(backend.sqlite_path.name + suffix)
            if path.exists():
                assert b"MARKER-" not in path.read_bytes()


def _key_of(store: ConversationStore, chat: ChatRef) -> bytes:
    """The key the store seals this chat's draft with (its file and the chat id)."""
    return sealed_drafts.draft_key(store.draft_keys.create(chat.key), chat.key, chat.secret)
