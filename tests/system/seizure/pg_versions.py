"""Every row version a PostgreSQL database still holds, dead ones included.

Reads each block of each relation of the database with `pageinspect` (superuser): heap
tuples with their xmin/xmax through `heap_page_item_attrs` (a row updated or deleted
stays on its page until vacuum prunes it), and the raw bytes of every page (tables,
indexes, TOAST) for a plain byte search. That is what a copy of the data directory or a
base backup holds too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

VARLENA_TYPES = {"bytea", "text", "varchar", "bpchar", "json", "jsonb"}


@dataclass
class TupleVersion:
    table: str
    block: int
    lp: int
    xmin: int
    xmax: int  # 0: never deleted or updated
    row: dict[str, Any]


@dataclass
class PageDump:
    relation: str
    block: int
    raw: bytes


def _varlena(raw: bytes) -> bytes | None:
    """The payload of an in-line varlena (1- or 4-byte header); None if TOASTed or
    compressed (then only the raw page search sees it)."""
    if not raw:
        return b""
    first = raw[0]
    if first == 0x01:
        return None  # TOAST pointer
    if first & 0x01:
        return raw[1 : first >> 1]
    if first & 0x03 == 0:
        length = int.from_bytes(raw[:4], "little") >> 2
        return raw[4:length]
    return None  # compressed in line


def _decode(raw: bytes | None, type_name: str) -> Any:
    if raw is None:
        return None
    if type_name not in VARLENA_TYPES:
        return raw  # fixed width: kept as bytes (searched, not decrypted)
    payload = _varlena(raw)
    if payload is None:
        return raw
    if type_name == "bytea":
        return payload
    return payload.decode("utf-8", "replace")


async def ensure_pageinspect(conn: asyncpg.Connection) -> None:
    await conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")


async def _relations(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """(name, kind) of every table, index and TOAST table of the public schema."""
    rows = await conn.fetch(
        """
        SELECT c.oid::regclass::text AS name, c.relkind::text AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')
        UNION
        SELECT t.oid::regclass::text, 't'
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_class t ON t.oid = c.reltoastrelid
        WHERE n.nspname = 'public' AND c.relkind = 'r'
        """
    )
    return [(r["name"], r["kind"]) for r in rows]


async def _blocks(conn: asyncpg.Connection, relation: str) -> int:
    size = await conn.fetchval(
        "SELECT pg_relation_size($1::text::regclass) / current_setting('block_size')::int",
        relation,
    )
    return int(size)


async def read_all(conn: asyncpg.Connection) -> tuple[list[TupleVersion], list[PageDump]]:
    tuples: list[TupleVersion] = []
    pages: list[PageDump] = []
    for relation, kind in await _relations(conn):
        columns: list[tuple[str, str]] = []
        if kind == "r":
            columns = [
                (r["attname"], r["typname"])
                for r in await conn.fetch(
                    """
                    SELECT a.attname, t.typname FROM pg_attribute a
                    JOIN pg_type t ON t.oid = a.atttypid
                    WHERE a.attrelid = $1::text::regclass AND a.attnum > 0
                      AND NOT a.attisdropped
                    ORDER BY a.attnum
                    """,
                    relation,
                )
            ]
        for block in range(await _blocks(conn, relation)):
            raw = await conn.fetchval("SELECT get_raw_page($1::text, $2::bigint)", relation, block)
            pages.append(PageDump(relation, block, bytes(raw)))
            if kind != "r":
                continue
            items = await conn.fetch(
                """
                SELECT lp, t_xmin::text::bigint AS xmin, t_xmax::text::bigint AS xmax, t_attrs
                FROM heap_page_item_attrs(get_raw_page($1::text, $2::bigint), $1::text::regclass)
                WHERE t_attrs IS NOT NULL
                """,
                relation,
                block,
            )
            for item in items:
                attrs = list(item["t_attrs"])
                row = {
                    name: _decode(bytes(attrs[i]) if attrs[i] is not None else None, typ)
                    for i, (name, typ) in enumerate(columns)
                    if i < len(attrs)
                }
                tuples.append(
                    TupleVersion(
                        relation, block, item["lp"], int(item["xmin"]), int(item["xmax"]), row
                    )
                )
    return tuples, pages
