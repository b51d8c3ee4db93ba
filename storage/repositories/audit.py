"""The append-only audit log: who viewed, changed, handed over or downloaded what.

Each entry's MAC covers its own canonical bytes and the previous entry's MAC, keyed with
a server sub-key: deleting, editing or reordering a row breaks the chain, and the head
row (the newest seq and MAC) exposes a cut-off tail. Appends lock the head row, so
replicas writing at once still produce one unbroken sequence. `detail` carries codes
(a status, an adviser id), never anything a student or adviser wrote.

The head row is in the same database as the chain, so someone who can write the
database could cut the tail and rewrite the head to match. Hence the anchor: after every
commit that appended, the head (seq, newest MAC) is written to
`<keys.dir>/audit.head` (`storage.crypto.audit_anchor`) with a MAC under a server sub-key.
`verify` and `check_anchor` compare the chain with it: a chain that no longer reaches
the anchored seq, or holds another MAC there, was cut or rewritten.

A student's act is entered with its time to the hour (its caller passes
`clock.student_time`), but in the chain's order: between the adviser entries before and
after it, which keep their exact times. That order is a residual (docs/security.md,
"Less to see"): deferring the entry to the hour would keep an act off the chain until
then, lost in a crash, and the chain's whole point is that no act goes unrecorded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import audit_anchor
from storage.crypto.audit_anchor import Anchor, AnchorCheck
from storage.crypto.server_key import ServerKey
from storage.db.models import AuditEntry, AuditHead
from storage.db.upsert import insert_if_absent

log = logging.getLogger(__name__)
HEAD_ID = 1
GENESIS = bytes(32)
DETAIL_MAX = 200
__all__ = ["Anchor", "AnchorCheck", "append", "check_anchor", "for_report", "verify"]


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the log as read back (the row's MAC is the log's business only)."""

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
    reason: str = ""  # a code: mac | gap | tail | cut | rewritten | anchor_missing | anchor_bad
    # The comparison with keys.dir's anchor (also the head to show); not part of ==.
    anchor: AnchorCheck | None = field(default=None, compare=False)

    @property
    def tail_cut(self) -> bool:
        """The chain does not match the head anchored outside the database."""
        return self.reason in audit_anchor.CUT_REASONS


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
    await insert_if_absent(session, AuditHead, {"id": HEAD_ID, "seq": 0, "mac": GENESIS})
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
    # Written to keys.dir once this transaction commits (nothing if it rolls back) — but
    # only while the chain still holds the anchored head: after a cut, advancing the
    # anchor past the old seq would erase the evidence. The appends go on regardless.
    held = await _anchor_check(session, server, head.seq, head.mac)
    if held.ok or held.reason == audit_anchor.MISSING:
        audit_anchor.after_commit(session, server, seq, mac)
    else:
        log.error(
            "audit anchor kept at seq %s: the chain no longer matches it (%s); "
            "run `stagemeld audit verify`",
            held.anchored_seq,
            held.reason,
        )
    return seq


async def for_report(session: AsyncSession, report_id: str) -> Sequence[AuditRecord]:
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.report_id == report_id).order_by(AuditEntry.seq)
    )
    return [_entry(row) for row in rows]


def _entry(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        row.seq, row.at, row.actor, row.action, row.report_id, row.org_id, row.detail
    )


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
    anchored = await check_anchor(session, server)
    head = await session.get(AuditHead, HEAD_ID)
    head_seq, head_mac = (head.seq, head.mac) if head is not None else (0, GENESIS)
    if head_seq != count or not _same(head_mac, previous):
        return Verdict(False, count, count + 1, "tail", anchored)
    if not anchored.ok:  # the database agrees with itself, but not with keys.dir
        first = count + 1 if anchored.reason == audit_anchor.CUT else anchored.anchored_seq
        return Verdict(False, count, first, anchored.reason, anchored)
    return Verdict(True, count, anchor=anchored)


async def check_anchor(session: AsyncSession, server: ServerKey) -> AnchorCheck:
    """The chain's tail against the anchor in keys.dir, without walking the chain: the
    entry at the anchored seq must exist and carry the anchored MAC (later entries need
    the server key to forge, so checking that one entry finds a cut or rewritten tail).
    Cheap enough for every coordinator's overview page; `verify` walks the rest."""
    newest = await session.scalar(select(func.max(AuditEntry.seq)))
    last = None
    if newest is not None:
        last = await session.scalar(select(AuditEntry.mac).where(AuditEntry.seq == newest))
    return await _anchor_check(session, server, newest or 0, last)


async def _anchor_check(
    session: AsyncSession, server: ServerKey, newest: int, last: bytes | None
) -> AnchorCheck:
    async def mac_at(seq: int) -> bytes | None:
        found: bytes | None = await session.scalar(
            select(AuditEntry.mac).where(AuditEntry.seq == seq)
        )
        return found

    return await audit_anchor.compare(server, newest, last, mac_at)


def _same(a: bytes, b: bytes) -> bool:
    # Not a secret comparison: verification runs offline over stored MACs.
    return a == b
