"""The disk-copy attacker (security.md, "How it is checked") on PostgreSQL: the same
students against a fresh database; at each moment the attacker reads every tuple version
still on the pages (dead ones included) with `pageinspect`, the raw bytes of every page
of every table, index and TOAST table, and the copied keys.dir. Skipped with the reason
when PostgreSQL does not answer on 127.0.0.1:5432.

Fails, like the SQLite variant, on code without per-draft key files and the receipt
before filing: dead draft versions decrypt to filed stories, the receipt is in the
"done" state, the conversation row outlives filing.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from standins import BotAPIStandIn
from tests.support.storage_backends import postgres_database
from tests.system.seizure import pg_versions
from tests.system.seizure.analysis import attack_pg, save_pg
from tests.system.seizure.scenario import play
from tests.system.seizure.verdict import judge, report_of, summary

pytestmark = pytest.mark.postgres
TOKEN = "123456:TEST-token"


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_a_seized_postgres_disk_reveals_nothing(api: BotAPIStandIn, tmp_path: Path) -> None:
    async with postgres_database() as url:
        admin = await asyncpg.connect(_dsn(url))
        try:
            await pg_versions.ensure_pageinspect(admin)

            async def copier(moment: str, destination: Path) -> None:
                tuples, pages = await pg_versions.read_all(admin)
                save_pg(destination, tuples, pages)
                shutil.copytree(tmp_path / "var" / "keys", destination / "keys")

            run = await play(api, tmp_path, copier, url)
            reports = [dict(r) for r in await admin.fetch("SELECT * FROM reports")]
            # A and B named the same company: a pattern formed, hashed, not named.
            assert await admin.fetchval("SELECT count(*) FROM pattern_members") == 2
        finally:
            await admin.close()
    keys = tmp_path / "var" / "keys"
    filed = {n: report_of(keys, reports, p.receipt) for n, p in run.pupils.items() if p.receipt}
    violations, notes, found = judge(run, attack_pg, filed, keys)

    assert all(f.stats.get("tuples", 0) > 0 for f in found)
    assert any(f.stats.get("decrypted", 0) > 0 for f in found), [f.stats for f in found]
    print("allowed (unfinished drafts, readable with a brute-forced chat id):")
    print("\n".join(sorted({n.split(" via ")[0] for n in notes})))
    assert violations == [], "a seized disk reveals:\n" + summary(violations)
