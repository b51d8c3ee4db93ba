"""No plaintext at rest: what a student wrote, their receipt and their chat id appear
nowhere in the database — not in any column of any row, and (SQLite) not in the bytes
of the database file, its write-ahead log or its shared-memory file."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.crypto.draft_keys import DraftKeys
from storage.crypto.keys import KeyStore
from storage.db.models import Base
from storage.repositories.attempts import StatusAttempts
from storage.repositories.conversations import ChatRef, ConversationStore
from storage.repositories.reports import NewReport, ReportStore
from storage.repositories.updates import UpdateLog
from tests.support import storage_backends
from tests.support import storage_helpers as helpers
from tests.support.storage_backends import Backend
from tests.support.storage_helpers import enrolled
from vocabulary import format_receipt

backend = storage_backends.backend
keys = storage_backends.keys


def _variants(secret: str) -> list[bytes]:
    """The secret as it could plausibly land on disk."""
    return [
        secret.encode(),
        secret.encode("utf-16-le"),
        secret.encode().hex().encode(),
    ]


async def _all_values(b: Backend) -> list[Any]:
    values: list[Any] = []
    async with b.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                values.extend(row)
    return values


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def _sqlite_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _assert_absent(haystacks: dict[str, bytes], secrets: dict[str, str]) -> None:
    for where, data in haystacks.items():
        for what, secret in secrets.items():
            for variant in _variants(secret):
                assert variant not in data, f"{what} found in {where}"


async def test_nothing_a_student_said_is_stored_in_the_clear(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    keystore, _ = keys
    marker = uuid.uuid4().hex
    chat_id = str(10**11 + uuid.uuid4().int % (9 * 10**11))  # 12 digits, like a Telegram id
    store = ReportStore(backend.sessions, keystore)
    _, anna = await enrolled(store, "anna")
    filed = await store.file(
        NewReport(
            org_id="hhs",
            phase="during",
            grounds=("religion",),
            when_bucket="week",
            wants="talk",
            visibility="school",
            urgent=False,
            content={
                "story": f"Mijn verhaal {marker} over de stage",
                "workplace": f"Bedrijf {marker} B.V.",
                "evidence_note": f"screenshot {marker}",
            },
            recipients=(anna,),
            notify=(("anna", "telegram"),),
        )
    )
    chat_key = keystore.server.chat_key("telegram", chat_id)
    conversations = ConversationStore(backend.sessions, DraftKeys(keystore.dir))
    await conversations.save(
        ChatRef(chat_key, chat_id.encode()),
        {"chat_id": chat_id, "story": f"draft {marker}", "receipt": filed.receipt},
    )
    await StatusAttempts(backend.sessions).record_failure(chat_key)
    await UpdateLog(backend.sessions).first_time("telegram", 123456)
    assert await helpers.read_with_receipt(store, filed.receipt) is not None  # it is all there

    secrets = {
        "marker": marker,
        "receipt": filed.receipt,
        "formatted receipt": format_receipt(filed.receipt),
        "chat id": chat_id,
    }
    values = await _all_values(backend)
    assert len(values) > 30
    _assert_absent({f"column value {v!r:.40}": _as_bytes(v) for v in values}, secrets)

    if backend.sqlite_path is not None:
        live = {str(p): p.read_bytes() for p in _sqlite_files(backend.sqlite_path)}
        assert any(p.endswith("-wal") for p in live)  # the WAL is scanned, not skipped
        _assert_absent(live, secrets)
        await backend.engine.dispose()  # checkpoint the WAL into the main file
        _assert_absent(
            {str(p): p.read_bytes() for p in _sqlite_files(backend.sqlite_path)}, secrets
        )


async def test_the_scan_would_notice_plaintext(backend: Backend) -> None:
    """Guard against a scan that can't fail: a marker written in the clear is found."""
    marker = uuid.uuid4().hex
    await UpdateLog(backend.sessions).first_time(marker[:16], 1)
    values = await _all_values(backend)
    assert any(marker[:16].encode() in _as_bytes(v) for v in values)
    if backend.sqlite_path is not None:
        data = b"".join(p.read_bytes() for p in _sqlite_files(backend.sqlite_path))
        assert marker[:16].encode() in data
