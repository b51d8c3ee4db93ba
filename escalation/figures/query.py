"""Reading the figures' rows: only the plaintext statistics columns of `reports`, their
deadlines, and the audit log's hand-over entries. Nothing sealed is touched, no key is
needed, and everything read here is kept when a report is erased (retention keeps the
statistics columns, the deadlines and the audit log), so erasure changes no figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.figures.rows import DeadlineFacts, StatRow
from storage.db.models import AuditEntry, Deadline, Report

DEMO_PREFIX = "DEMO-"  # references of the synthetic reports `run --demo` seeds
HANDOVER_ACTIONS = ("handover_org",)
# Columns other branches may add to `reports`; counted when the model has them.
OPTIONAL = ("sector", "channel")


def optional_columns() -> dict[str, bool]:
    return {name: hasattr(Report, name) for name in OPTIONAL}


async def read_rows(
    sessions: async_sessionmaker[AsyncSession],
    start: datetime,
    end: datetime,
    org_id: str | None = None,
) -> list[StatRow]:
    """Reports filed in [start, end), of one organization (None: all)."""
    async with sessions() as session:
        reports = await _reports(session, start, end, org_id)
        ids = [r.id for r in reports]
        deadlines = await _deadlines(session, ids)
        handed = await _handed_over(session, ids)
    return [_row(r, deadlines.get(r.id, {}), r.id in handed) for r in reports]


async def _reports(
    session: AsyncSession, start: datetime, end: datetime, org_id: str | None
) -> Sequence[Report]:
    query = select(Report).where(Report.created_at >= start, Report.created_at < end)
    if org_id is not None:
        query = query.where(Report.org_id == org_id)
    return (await session.scalars(query.order_by(Report.created_at, Report.id))).all()


async def _deadlines(
    session: AsyncSession, ids: Sequence[str]
) -> dict[str, dict[str, DeadlineFacts]]:
    out: dict[str, dict[str, DeadlineFacts]] = defaultdict(dict)
    for chunk in _chunks(ids):
        rows = await session.scalars(select(Deadline).where(Deadline.report_id.in_(chunk)))
        for d in rows:
            out[d.report_id][d.kind] = DeadlineFacts(d.due_at, d.met_at, d.level)
    return out


async def _handed_over(session: AsyncSession, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        rows = await session.scalars(
            select(AuditEntry.report_id).where(
                AuditEntry.report_id.in_(chunk), AuditEntry.action.in_(HANDOVER_ACTIONS)
            )
        )
        found.update(r for r in rows if r is not None)
    return found


def _chunks(ids: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _row(r: Report, deadlines: dict[str, DeadlineFacts], handed_over: bool) -> StatRow:
    return StatRow(
        created_at=r.created_at,
        org_id=r.org_id,
        phase=r.phase,
        grounds=tuple(g for g in r.grounds.split(",") if g),
        level=r.level,
        wants=r.wants,
        visibility=r.visibility,
        urgent=r.urgent,
        status=r.status,
        outcome=r.outcome,
        acknowledged_at=r.acknowledged_at,
        first_feedback_at=r.first_feedback_at,
        handed_over=handed_over,
        acknowledge=deadlines.get("acknowledge"),
        feedback=deadlines.get("feedback"),
        sector=getattr(r, "sector", None),
        channel=getattr(r, "channel", None),
        demo=r.reference.startswith(DEMO_PREFIX),
    )
