"""Draft key files shared by replicas on one keys.dir.

Each process caches the key files it read. Another replica may end the conversation
(unlink) or start a new one for the same chat (a new file, a new key) in between; a
stale cache would then open nothing, or seal the new draft under a shredded key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.crypto.draft_keys import DraftKeys

CHAT = "ab" * 32


def test_a_replica_sees_another_ending_and_restarting_a_conversation(tmp_path: Path) -> None:
    a, b = DraftKeys(tmp_path), DraftKeys(tmp_path)
    first = a.create(CHAT)
    assert b.secret(CHAT) == first  # read by B, now in its cache
    a.forget(CHAT)  # A ends the conversation
    assert b.secret(CHAT) is None  # B no longer opens it
    second = a.create(CHAT)  # a new conversation in that chat, on A
    assert second != first
    assert b.secret(CHAT) == second
    assert b.create(CHAT) == second  # B continues it under the same key


def test_an_unchanged_file_is_answered_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = DraftKeys(tmp_path)
    secret = keys.create(CHAT)
    reads: list[Path] = []
    real = Path.read_bytes

    def counted(path: Path) -> bytes:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    assert keys.secret(CHAT) == secret
    assert keys.secret(CHAT) == secret
    assert reads == []  # a stat per use, no read
