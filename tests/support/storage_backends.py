"""Storage test fixtures: every storage test runs on SQLite and, when it is reachable, on
PostgreSQL — each test on a fresh, migrated database.

Import the fixtures into a test module with `backend = storage_backends.backend` (and
`keys = storage_backends.keys`); they are kept out of conftest.py on purpose.
PostgreSQL is looked for at 127.0.0.1:5432, database `test`, trust auth, as user
`postgres` then `root`; if it isn't there the PostgreSQL half is skipped, never failed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.crypto.kdf import KdfParams
from storage.crypto.keys import KeyStore
from storage.db.engine import make_engine, migrate, session_factory

FAST = KdfParams(iterations=1, lanes=1, memory_kib=1024)
PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
PG_USERS = ("postgres", "root")


@dataclass
class Backend:
    name: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    sqlite_path: Path | None  # the database file, to scan its bytes


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


async def _admin_connection() -> tuple[asyncpg.Connection, str]:
    errors = []
    for user in PG_USERS:
        try:
            conn = await asyncpg.connect(
                host=PG_HOST, port=PG_PORT, user=user, database=PG_DB, timeout=3
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            errors.append(f"{user}: {type(exc).__name__}: {exc}")
            continue
        return conn, user
    pytest.skip(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}: {'; '.join(errors)}")


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A new, empty database `stagemeld_test_<random>` (URL yielded), dropped afterwards."""
    admin, user = await _admin_connection()
    name = f"stagemeld_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.PostgresError as exc:
        await admin.close()
        pytest.skip(f"PostgreSQL on {PG_HOST}:{PG_PORT} refused CREATE DATABASE: {exc}")
    try:
        yield f"postgresql+asyncpg://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _postgres(tmp_path: Path) -> AsyncIterator[Backend]:
    async with postgres_database() as url:
        engine = make_engine(url)
        try:
            await migrate(engine)
            yield Backend("postgresql", url, engine, session_factory(engine), None)
        finally:
            await engine.dispose()


async def _sqlite(tmp_path: Path) -> AsyncIterator[Backend]:
    path = tmp_path / "var" / "stagemeld.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = make_engine(url)
    try:
        await migrate(engine)
        yield Backend("sqlite", url, engine, session_factory(engine), path)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    make = _sqlite if request.param == "sqlite" else _postgres
    async for b in make(tmp_path):
        yield b


@pytest.fixture
def keys(tmp_path: Path) -> tuple[KeyStore, str]:
    """A fresh key directory with cheap Argon2id; returns (keys, recovery key text)."""
    return KeyStore.init(tmp_path / "keys", FAST)
