"""Engine, sessions and migrations, the same for SQLite and PostgreSQL.

A SQLite database file is created 0600 (in a directory made 0700) before SQLite opens
it: SQLite gives its `-wal` and `-shm` files the main file's mode, so all three are the
service's alone. An existing file (and its -wal and -shm) is narrowed to 0600.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.db.private_files import private_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it only has to be the same for every replica of this service.
_MIGRATION_LOCK = 0x5354_4D45_4C44  # "STMELD"


def make_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite also the file's directory and the pragmas we rely on."""
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database), "-wal", "-shm")
    # hide_parameters: a driver error must never print ciphertexts or ids into a log.
    options: dict[str, Any] = {"hide_parameters": True}
    if is_sqlite:
        # One connection per process. SQLite has one writer anyway, and with several
        # connections a deadlock appears under concurrent writes: connection B waits
        # for the write lock inside sqlite3_step (its worker thread holds B's mutex);
        # the garbage collector, running in the event-loop thread, finalises an old
        # cursor of B (sqlite3_reset) and blocks on that mutex; the loop stalls, so
        # connection A never gets to COMMIT, and B fails with "database is locked"
        # after busy_timeout (seen with gdb). Queuing for the one connection in
        # asyncio never blocks the loop. Other processes (the CLI beside the service)
        # still queue on busy_timeout.
        options |= {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
    else:
        options["pool_pre_ping"] = True
    engine = create_async_engine(url, **options)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer; busy_timeout makes writers queue
    instead of failing; foreign keys are off in SQLite unless asked; secure_delete
    overwrites deleted rows (drafts, attempts) instead of leaving them in free pages."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """Built in code, so migrations run from an installed package without alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Alembic `upgrade head` on this engine, in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several replicas may start at once; the first migrates, the others wait and
        # then find nothing to do. Released when the transaction ends.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
