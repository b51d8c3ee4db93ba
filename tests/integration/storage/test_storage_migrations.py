"""The Alembic migrations build exactly the schema the models describe, on both backends,
and the engine sets up SQLite the way storage relies on."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import StatementError

from storage.db.engine import alembic_config, make_engine, migrate, session_factory
from storage.db.models import Base, ProcessedUpdate
from tests.support import storage_backends
from tests.support.storage_backends import Backend

backend = storage_backends.backend
ROOT = Path(__file__).resolve().parents[3]


def head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(backend: Backend) -> None:
    async with backend.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_migrate_twice_is_a_no_op(backend: Backend) -> None:
    await migrate(backend.engine)
    async with backend.engine.connect() as conn:
        version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == head()


async def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'down.db'}")

    def cycle(connection: Connection) -> list[str]:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        left = inspect(connection).get_table_names()
        command.upgrade(config, "head")
        return left

    try:
        await migrate(engine)
        async with engine.begin() as conn:
            assert await conn.run_sync(cycle) == ["alembic_version"]
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_alembic_command_line_with_url(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli' / 'stagemeld.db'}"
    alembic = [sys.executable, "-m", "alembic", "-c", str(ROOT / "storage" / "db" / "alembic.ini")]
    for args in (["upgrade", "head"], ["check"], ["current"]):
        done = subprocess.run(
            [*alembic, "-x", f"url={url}", *args], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    assert head() in done.stdout
    assert (tmp_path / "cli" / "stagemeld.db").exists()


async def test_sqlite_engine_pragmas_and_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "stagemeld.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as conn:
            pragmas = {
                name: await conn.scalar(text(f"PRAGMA {name}"))
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "secure_delete")
            }
        assert engine.pool.size() == 1  # type: ignore[attr-defined]  # one connection per process: see make_engine
    finally:
        await engine.dispose()
    assert path.parent.is_dir()
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "foreign_keys": 1,
        "secure_delete": 1,
    }


async def test_datetimes_are_utc_aware_and_naive_ones_refused(backend: Backend) -> None:
    from datetime import UTC, timedelta, timezone

    amsterdam = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 2, 10, 30, tzinfo=amsterdam)
    sessions = session_factory(backend.engine)
    async with sessions() as session, session.begin():
        session.add(ProcessedUpdate(source="t", update_id=1, at=moment))
    async with sessions() as session:
        row = await session.get(ProcessedUpdate, ("t", 1))
    assert row is not None
    assert row.at == moment and row.at.tzinfo is not None
    assert row.at.utcoffset() == timedelta(0) and row.at.astimezone(UTC).hour == 9
    with pytest.raises(StatementError, match="naive"):
        async with sessions() as session, session.begin():
            session.add(ProcessedUpdate(source="t", update_id=2, at=datetime(2026, 3, 2)))


async def test_replicas_starting_together_migrate_once() -> None:
    """PostgreSQL: concurrent `migrate` calls serialise on an advisory lock."""
    async with storage_backends.postgres_database() as url:
        engines = [make_engine(url) for _ in range(3)]
        try:
            # Without the lock the three interleave and hang: fail instead of waiting forever.
            await asyncio.wait_for(asyncio.gather(*(migrate(e) for e in engines)), timeout=60)
            async with engines[0].connect() as conn:
                assert await conn.run_sync(_diff) == []
        finally:
            for e in engines:
                await e.dispose()


async def test_0006_fills_where_reports_were_filed_and_who_moved_them(tmp_path: Path) -> None:
    """Existing reports learn the organization they were filed with from the audit log's
    hand-overs (codes only), or keep their own; a moved one can then be handed back."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fill.db'}")

    def fill(connection: Connection) -> list[tuple[str, str | None, str | None]]:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0007_console-1")  # the revision before, however chained
        at = "2026-03-02 09:00:00"
        for rid, org in (("a" * 32, "hhs"), ("b" * 32, "mondriaan")):
            connection.execute(
                text(
                    "INSERT INTO reports (id, reference, org_id, phase, grounds, when_bucket,"
                    " wants, visibility, urgent, status, created_at, updated_at) VALUES"
                    " (:id, :ref, :org, 'looking', 'origin', 'week', 'talk', 'network', 0,"
                    " 'received', :at, :at)"
                ),
                {"id": rid, "ref": f"SM-{rid[:4]}", "org": org, "at": at},
            )
        connection.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor, action, report_id, org_id, detail, mac)"
                " VALUES (1, :at, 'hhs-vp', 'handover_org', :rid, 'hhs', 'mondriaan', :mac)"
            ),
            {"at": at, "rid": "b" * 32, "mac": bytes(32)},
        )
        command.upgrade(config, "0007_console")
        rows = connection.execute(
            text("SELECT id, filed_org_id, handed_from_org_id FROM reports ORDER BY id")
        )
        return [(r[0][:1], r[1], r[2]) for r in rows]

    try:
        async with engine.begin() as conn:
            assert await conn.run_sync(fill) == [("a", "hhs", None), ("b", "hhs", "hhs")]
    finally:
        await engine.dispose()


Rows = list[list[tuple[object, ...]]]  # reports, texts, copies, report fields


def _evaluation_rows(connection: Connection, texts: str, copies: str, text_id: str) -> Rows:
    """What an evaluation's rows hold, under either generation of names."""
    word = "feedback" if texts == "feedback" else "evaluation"  # the columns' prefix
    queries = (
        f"SELECT id, {word}_score, {word}_at FROM reports",
        f"SELECT id, report_id, month, quote FROM {texts}",
        f"SELECT id, {text_id}, recipient_kind, recipient_id, sealed FROM {copies}",
        "SELECT report_id, field, ciphertext FROM report_fields",
    )
    return [[tuple(row) for row in connection.execute(text(q))] for q in queries]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_0011_renames_feedback_to_evaluation_and_keeps_every_row(
    kind: str, tmp_path: Path
) -> None:
    """The student's score and texts move to their new names, ids and all (the sealed
    copies bind them), and back on downgrade; nothing that refers to a report is lost,
    and new copies get fresh ids after the moved ones."""
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def cycle(connection: Connection) -> tuple[Rows, Rows, object, Rows]:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0011_evaluation-1")
        connection.execute(
            text(
                "INSERT INTO reports (id, reference, org_id, phase, grounds, when_bucket,"
                " wants, visibility, urgent, status, created_at, updated_at, feedback_score,"
                " feedback_at) VALUES ('r1', 'SM-1', 'hhs', 'looking', 'origin', 'week',"
                " 'talk', 'network', false, 'closed', :at, :at, 4, :at)"
            ),
            {"at": at},
        )
        connection.execute(
            text("INSERT INTO report_fields VALUES ('r1', 'story', :c)"), {"c": b"sealed"}
        )
        connection.execute(text("INSERT INTO feedback VALUES ('f1', 'r1', :at, true)"), {"at": at})
        for who in ("coordinator", "recovery"):
            connection.execute(
                text(
                    "INSERT INTO feedback_copies (feedback_id, recipient_kind, recipient_id,"
                    " sealed) VALUES ('f1', :who, :who, :sealed)"
                ),
                {"who": who, "sealed": who.encode()},
            )
        before = _evaluation_rows(connection, "feedback", "feedback_copies", "feedback_id")
        command.upgrade(config, "0011_evaluation")
        after = _evaluation_rows(connection, "evaluations", "evaluation_copies", "evaluation_id")
        connection.execute(
            text(
                "INSERT INTO evaluation_copies (evaluation_id, recipient_kind, recipient_id,"
                " sealed) VALUES ('f1', 'adviser', 'other', :s)"
            ),
            {"s": b"x"},
        )
        new_id = connection.execute(
            text("SELECT id FROM evaluation_copies WHERE recipient_id = 'other'")
        ).scalar()
        connection.execute(text("DELETE FROM evaluation_copies WHERE recipient_id = 'other'"))
        command.downgrade(config, "0011_evaluation-1")
        back = _evaluation_rows(connection, "feedback", "feedback_copies", "feedback_id")
        return before, after, new_id, back

    async with _database(kind, tmp_path) as url:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                before, after, new_id, back = await conn.run_sync(cycle)
        finally:
            await engine.dispose()
    assert before == after == back
    assert [len(rows) for rows in before] == [1, 1, 2, 1]
    assert new_id == 3


@asynccontextmanager
async def _database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "postgresql":
        async with storage_backends.postgres_database() as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'rename.db'}"
