"""Insert-or-update in one statement, in whichever dialect the session speaks.

PostgreSQL and SQLite both have `INSERT … ON CONFLICT`, but SQLAlchemy builds it from
each dialect's own `insert`. One statement (no read first) is what keeps two writers of
the same row from racing: the drafts, the advisers' read marks, the audit chain's head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Base

# Where a statement runs: an ORM session, or a bare connection on a hot path (issue 15:
# a conversation turn skips the Session's unit-of-work machinery it never uses).
Executor = AsyncSession | AsyncConnection


async def upsert(
    session: Executor,
    table: type[Base],
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    changes: Mapping[str, Any],
) -> None:
    """Insert `values`, or apply `changes` to the row that has the same `key` columns."""
    statement = await _insert(session, table)
    await session.execute(
        statement.values(dict(values)).on_conflict_do_update(
            index_elements=list(key), set_=dict(changes)
        )
    )


async def insert_if_absent(session: Executor, table: type[Base], values: Mapping[str, Any]) -> None:
    """Insert `values` unless a row conflicts with them; then leave that row alone."""
    statement = await _insert(session, table)
    await session.execute(statement.values(dict(values)).on_conflict_do_nothing())


async def insert_if_absent_counted(
    session: Executor, table: type[Base], values: Mapping[str, Any]
) -> bool:
    """`insert_if_absent`, telling whether the row was inserted (False: it was there).
    No exception on a conflict, so the caller's transaction stays usable."""
    statement = await _insert(session, table)
    result = await session.execute(statement.values(dict(values)).on_conflict_do_nothing())
    return bool(cast(CursorResult[Any], result).rowcount)


async def _insert(session: Executor, table: type[Base]) -> postgresql.Insert | sqlite.Insert:
    connection = session if isinstance(session, AsyncConnection) else await session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
