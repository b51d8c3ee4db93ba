"""docs/security.md promises to list every stored field; this keeps the promise true."""

from __future__ import annotations

import re
from pathlib import Path

from storage.db.models import Base

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROW = re.compile(r"^\| `(?P<table>[a-z_]+)` \| (?P<columns>[^|]+) \|", re.MULTILINE)


def documented() -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for row in ROW.finditer(DOC.read_text(encoding="utf-8")):
        for column in re.findall(r"`([a-z_]+)`", row["columns"]):
            pairs.add((row["table"], column))
    return pairs


def test_every_column_is_in_the_security_doc() -> None:
    stored = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns}
    missing = sorted(stored - documented())
    assert not missing, f"docs/security.md lacks these stored fields: {missing}"


def test_the_doc_lists_no_column_that_does_not_exist() -> None:
    stored = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns}
    stored.add(("alembic_version", "version_num"))
    stale = sorted(documented() - stored)
    assert not stale, f"docs/security.md lists fields the schema no longer has: {stale}"
