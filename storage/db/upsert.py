"""Insert-or-update in one statement, the same SQL on PostgreSQL and SQLite.

Both speak `INSERT … ON CONFLICT`. One statement (no read first) is what keeps two
writers of the same row from racing: the drafts, the advisers' read marks, the audit
chain's head, the seen-once markers of updates.

Written as text, not with the dialects' own `insert()`: SQLAlchemy 2.0 gives those no
cache key (`inherit_cache = False`), so every execution compiled its statement anew,
about half a millisecond of CPU each, twice in every conversation turn. The
text below is built once per table and column set, its binds typed from the model (so
`UtcDateTime` still checks and converts every time), and SQLAlchemy caches its
compilation like any other statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Table, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db.models import Base

# Where a statement runs: an ORM session, or a bare connection on a hot path (a
# conversation turn skips the Session's unit-of-work machinery it never uses).
Executor = AsyncSession | AsyncConnection


async def upsert(
    session: Executor, table: type[Base], values: Mapping[str, Any], *, key: Sequence[str]
) -> None:
    """Insert `values`, or give the row with the same `key` columns every other value."""
    statement = _statement(table, tuple(values), tuple(key))
    await session.execute(statement, dict(values))


async def insert_if_absent(session: Executor, table: type[Base], values: Mapping[str, Any]) -> None:
    """Insert `values` unless a row conflicts with them; then leave that row alone."""
    await session.execute(_statement(table, tuple(values), None), dict(values))


async def insert_if_absent_counted(
    session: Executor, table: type[Base], values: Mapping[str, Any]
) -> bool:
    """`insert_if_absent`, telling whether the row was inserted (False: it was there).
    No exception on a conflict, so the caller's transaction stays usable."""
    result = await session.execute(_statement(table, tuple(values), None), dict(values))
    return bool(cast(CursorResult[Any], result).rowcount)


@lru_cache(maxsize=64)
def _statement(
    table: type[Base], columns: tuple[str, ...], key: tuple[str, ...] | None
) -> TextClause:
    """`key` None: on a conflict, do nothing; else update every column not in `key`.
    Only names go into the text, each checked against the model; values are binds."""
    model = cast(Table, table.__table__)
    unknown = [c for c in (*columns, *(key or ())) if c not in model.c]
    if unknown:
        raise ValueError(f"{model.name} has no column {unknown[0]!r}")
    names = ", ".join(_quoted(c) for c in columns)
    binds = ", ".join(f":{c}" for c in columns)
    sql = f"INSERT INTO {_quoted(model.name)} ({names}) VALUES ({binds}) ON CONFLICT"  # noqa: S608
    if key is None:
        sql += " DO NOTHING"
    else:
        changed = [c for c in columns if c not in key]
        if not changed:
            raise ValueError("an upsert needs at least one column outside its key")
        sets = ", ".join(f"{_quoted(c)} = excluded.{_quoted(c)}" for c in changed)
        sql += f" ({', '.join(_quoted(c) for c in key)}) DO UPDATE SET {sets}"
    return text(sql).bindparams(*(bindparam(c, type_=model.c[c].type) for c in columns))


def _quoted(name: str) -> str:
    """Our own table and column names only; quoted so none is read as a keyword."""
    if not name.isidentifier():
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'
