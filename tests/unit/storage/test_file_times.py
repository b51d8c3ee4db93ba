"""Key files and their directory keep no time finer than the hour: the mtime of
`keys.dir/drafts` or `audit.head` would give the last filing to the nanosecond. Each
test fails on the code before `storage/crypto/files.py: to_the_hour`.
"""

from __future__ import annotations

from pathlib import Path

from storage.crypto import audit_anchor
from storage.crypto.draft_keys import DraftKeys
from storage.crypto.files import HOUR_NS
from storage.crypto.server_key import ServerKey


def _on_the_hour(path: Path) -> bool:
    st = path.stat()
    return st.st_mtime_ns % HOUR_NS == 0 and st.st_atime_ns % HOUR_NS == 0


def test_a_draft_key_written_now_is_not_swept_as_old(tmp_path: Path) -> None:
    """Its mtime says the hour; the sweep's age comes from the change time."""
    drafts = DraftKeys(tmp_path)
    drafts.create("a" * 64)
    assert _on_the_hour(tmp_path / "drafts" / ("a" * 64))
    assert drafts.sweep([], min_age=60.0) == 0
    assert drafts.sweep([], min_age=0.0) == 1
    assert _on_the_hour(tmp_path / "drafts")


def test_the_audit_anchor_and_its_directory_carry_only_the_hour(tmp_path: Path) -> None:
    """Every audit append rewrites the anchor: its time would be the newest act's."""
    server = ServerKey(b"k" * 32, audit_anchor=tmp_path / "audit.head")
    audit_anchor.write(server, 1, b"m" * 32)
    audit_anchor.write(server, 2, b"n" * 32)
    assert audit_anchor.read(server) == audit_anchor.Anchor(2, b"n" * 32)
    assert _on_the_hour(tmp_path / "audit.head")
    assert _on_the_hour(tmp_path)
