"""The append-only audit log: who viewed, changed, handed over or downloaded what.

Each entry's MAC covers its own canonical bytes and the previous entry's MAC, keyed with
a server sub-key: deleting, editing or reordering a row breaks the chain, and the head
row (the newest seq and MAC) exposes a cut-off tail. Appends lock the head row, so
replicas writing at once still produce one unbroken sequence. `detail` carries codes
(a status, an adviser id), never anything a student or adviser wrote.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import ServerKey
from storage.models import AuditEntry, AuditHead

HEAD_ID = 1
GENESIS = bytes(32)
DETAIL_MAX = 200


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor: str
    action: str
    report_id: str | None
    org_id: str | None
    detail: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    broken_seq: int | None = None  # the first entry that does not check out
    reason: str = ""  # a code: mac | gap | tail


def canonical(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    report_id: str | None,
    org_id: str | None,
    detail: str,
) -> bytes:
    """Fixed key order, fixed separators, UTC timestamp: one byte string per entry."""
    return json.dumps(
        [seq, at.isoformat(), actor, action, report_id, org_id, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()


async def _locked_head(session: AsyncSession) -> AuditHead:
    """The head row, created on first use; FOR UPDATE serialises appends on PostgreSQL
    (SQLite has one writer and one connection per process already)."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    values = {"id": HEAD_ID, "seq": 0, "mac": GENESIS}
    if dialect == "postgresql":
        await session.execute(postgresql.insert(AuditHead).values(values).on_conflict_do_nothing())
    else:
        await session.execute(sqlite.insert(AuditHead).values(values).on_conflict_do_nothing())
    found = await session.execute(  # just inserted if missing: exactly one row
        select(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found.scalar_one()


async def append(
    session: AsyncSession,
    server: ServerKey,
    *,
    at: datetime,
    actor: str,
    action: str,
    report_id: str | None = None,
    org_id: str | None = None,
    detail: str = "",
) -> int:
    """Adds one entry to the caller's transaction (committed with the action itself)."""
    detail = detail[:DETAIL_MAX]
    head = await _locked_head(session)
    seq = head.seq + 1
    mac = server.audit_mac(head.mac, canonical(seq, at, actor, action, report_id, org_id, detail))
    session.add(
        AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            report_id=report_id,
            org_id=org_id,
            detail=detail,
            mac=mac,
        )
    )
    head.seq = seq
    head.mac = mac
    await session.flush()
    return seq


async def for_report(session: AsyncSession, report_id: str) -> Sequence[Entry]:
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.report_id == report_id).order_by(AuditEntry.seq)
    )
    return [_entry(row) for row in rows]


def _entry(row: AuditEntry) -> Entry:
    return Entry(row.seq, row.at, row.actor, row.action, row.report_id, row.org_id, row.detail)


async def verify(session: AsyncSession, server: ServerKey) -> Verdict:
    """Walks the whole chain from the start; the first entry that fails is named."""
    previous, expected, count = GENESIS, 1, 0
    rows = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.seq))
    async for row in rows:
        if row.seq != expected:
            return Verdict(False, count, expected, "gap")
        data = canonical(
            row.seq, row.at, row.actor, row.action, row.report_id, row.org_id, row.detail
        )
        if not _same(server.audit_mac(previous, data), row.mac):
            return Verdict(False, count, row.seq, "mac")
        previous, expected, count = row.mac, expected + 1, count + 1
    head = await session.get(AuditHead, HEAD_ID)
    head_seq, head_mac = (head.seq, head.mac) if head is not None else (0, GENESIS)
    if head_seq != count or not _same(head_mac, previous):
        return Verdict(False, count, count + 1, "tail")
    return Verdict(True, count)


def _same(a: bytes, b: bytes) -> bool:
    # Not a secret comparison: verification runs offline over stored MACs.
    return a == b
