"""The disk-copy attacker (security.md, "How it is checked") against SQLite.

Students talk to the real service (a child process) through the Bot API stand-in; the
database files (with -wal and -shm) and keys.dir are copied while it runs, right after
filing, after /stop, after a follow-up, after a clean stop and after a SIGKILL. For each
copy the attacker reconstructs every version the files hold (each committed WAL prefix,
and every leaf cell of every page and WAL frame), loads every key, brute-forces the chat
hashes over the test's chat-id range, opens every value with every decryptor and
searches it all for the students' markers, receipts and chat ids.

Fails on code without per-draft key files and the receipt before filing: old draft
versions in the WAL decrypt to filed stories; the receipt sits in the "done" state
after filing; the conversation row outlives filing and names the chat.

An unfinished draft (D, F; and everyone at "mid-conversation") may be read by someone who
brute-forces its chat id: that is allowed and only printed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from standins import BotAPIStandIn
from tests.system.seizure.analysis import attack_sqlite, copy_sqlite
from tests.system.seizure.scenario import play
from tests.system.seizure.verdict import judge, report_of, summary

TOKEN = "123456:TEST-token"


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin


async def test_a_seized_sqlite_disk_reveals_nothing(api: BotAPIStandIn, tmp_path: Path) -> None:
    var = tmp_path / "var"

    async def copier(moment: str, destination: Path) -> None:
        copy_sqlite(var, destination)

    run = await play(api, tmp_path, copier, None)
    with sqlite3.connect(var / "stagemeld.db") as conn:
        conn.row_factory = sqlite3.Row
        reports = [dict(r) for r in conn.execute("SELECT * FROM reports")]
        # A and B named the same company: a pattern formed, hashed, not named.
        assert conn.execute("SELECT count(*) FROM pattern_members").fetchone()[0] == 2
    filed = {
        name: report_of(var / "keys", reports, p.receipt)
        for name, p in run.pupils.items()
        if p.receipt
    }
    violations, notes, found = judge(run, attack_sqlite, filed, var / "keys")

    # The attacker is not blind: it reconstructed versions and opened drafts.
    assert all(f.stats.get("versions", 0) >= 1 for f in found)
    assert any(f.stats.get("decrypted", 0) > 0 for f in found), [f.stats for f in found]
    print("allowed (unfinished drafts, readable with a brute-forced chat id):")
    print("\n".join(sorted(set(n.split(" via ")[0] for n in notes))))
    assert violations == [], "a seized disk reveals:\n" + summary(violations)
