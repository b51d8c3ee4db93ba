"""The attacker is not blind: it finds a marker in a table it writes itself without
encryption, in an old version that only a WAL frame still holds, in a draft sealed the
way the service seals it, and a chat id behind a brute-forced chat hash. Without this, the
seizure tests could pass by finding nothing."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

from storage.crypto import sealed_drafts
from storage.crypto.draft_keys import DraftKeys
from storage.crypto.kdf import KdfParams
from storage.crypto.keys import KeyStore
from tests.system.seizure.analysis import Subject, attack_sqlite
from tests.system.seizure.needles import needle

CHATS = range(7_000_000, 7_000_401)


def _sealed_draft(keys_dir: Path, chat_hash: str, chat_id: str, text: str) -> bytes:
    """A draft as the service seals it: its key file in keys.dir, and the chat id."""
    secret = DraftKeys(keys_dir).create(chat_hash)
    key = sealed_drafts.draft_key(secret, chat_hash, chat_id.encode())
    return sealed_drafts.seal_draft(key, text.encode(), chat_key=chat_hash)


def test_the_attacker_finds_plain_wal_only_and_sealed_markers(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    keys, _ = KeyStore.init(var / "keys", KdfParams(iterations=1, lanes=1, memory_kib=1024))
    plain, old, sealed = (f"SELF{uuid.uuid4().hex}" for _ in range(3))
    chat_hash = keys.server.chat_key("telegram", "7000321")
    db = var / "stagemeld.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE leak (id INTEGER PRIMARY KEY, note TEXT)")
    conn.execute("CREATE TABLE conversations (chat_key TEXT PRIMARY KEY, blob BLOB)")
    conn.execute("CREATE TABLE reports (id TEXT PRIMARY KEY)")
    conn.commit()
    conn.execute("INSERT INTO leak (note) VALUES (?)", (f"plain {plain}",))
    conn.execute(
        "INSERT INTO conversations VALUES (?, ?)",
        (
            chat_hash,
            _sealed_draft(var / "keys", chat_hash, "7000321", f'{{"story": "{sealed}"}}'),
        ),
    )
    conn.commit()
    conn.execute("UPDATE leak SET note = ?", (f"old {old}",))
    conn.commit()
    conn.execute("UPDATE leak SET note = 'overwritten'")  # `old` now lives in the WAL only
    conn.execute("INSERT INTO reports VALUES ('r1')")  # the "filing"; the row outlives it
    conn.commit()
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in var.glob("stagemeld.db*"):
        shutil.copy2(path, copy / path.name)
    shutil.copytree(var / "keys", copy / "keys")
    conn.close()
    # (Opening a copy with sqlite3 checkpoints and deletes its WAL: look at a second one.)
    probe = tmp_path / "probe"
    shutil.copytree(copy, probe)
    with sqlite3.connect(probe / "stagemeld.db") as look:
        assert old not in look.execute("SELECT group_concat(note) FROM leak").fetchone()[0]

    needles = [
        needle("marker", n, m) for n, m in (("plain", plain), ("old", old), ("sealed", sealed))
    ]
    needles.append(needle("chat id", "sealed", "7000321"))
    found = attack_sqlite(
        "self-check", copy, needles, [Subject("sealed", chat_hash, "r1", True)], CHATS
    )
    by = {(h.needle.student, h.needle.kind) for h in found.hits}
    assert ("plain", "marker") in by
    assert ("old", "marker") in by
    assert any(
        h.needle.student == "old" and "WAL prefix" in h.where and "@ main file" not in h.where
        for h in found.hits
    ), [str(h) for h in found.hits]
    assert any(
        h.needle.student == "sealed" and "7000321" in h.how and "draft" in h.how for h in found.hits
    ), [str(h) for h in found.hits]
    assert found.links and "conversations" in found.links[0]
    assert found.stats["versions"] >= 3 and found.stats["carved"] > 0
