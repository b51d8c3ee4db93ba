"""Random and fixed report rows for the figures' tests, and a brute-force recount."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from escalation.figures.rows import DeadlineFacts, StatRow, month_of, school_year
from escalation.figures.suppress import SMALL, Table
from escalation.figures.tables import GROUNDS, OUTCOMES, PHASES

WANTS = ("register", "talk", "action", "advice")
VISIBILITY = ("school", "school_and_workplace", "network")

ORGS = ("inholland", "hhs", "mondriaan", "sbb", "gemeente-den-haag")


def random_rows(seed: int, n: int, first_year: int, years: int) -> list[StatRow]:
    """`n` reports spread over `years` school years from `first_year`, skewed so that
    some categories are large and some small (the cases suppression is about)."""
    rnd = random.Random(seed)
    start = datetime(first_year, 8, 1, 12, tzinfo=UTC)
    span = timedelta(days=365 * years - 2)
    out = []
    for _ in range(n):
        created = start + span * rnd.random()
        created = created.replace(minute=0, second=0, microsecond=0)
        status = rnd.choices(
            ["received", "in_progress", "waiting", "closed", "withdrawn"], [1, 2, 1, 8, 1]
        )[0]
        ack = created + timedelta(days=rnd.choice([0, 1, 2, 3, 6])) if rnd.random() < 0.9 else None
        fb = created + timedelta(days=rnd.choice([2, 8, 15, 30])) if rnd.random() < 0.8 else None
        out.append(
            StatRow(
                created_at=created,
                org_id=rnd.choices(ORGS, [6, 3, 8, 1, 2])[0],
                phase=rnd.choices(PHASES, [5, 3, 6, 1])[0],
                grounds=tuple(sorted(set(rnd.choices(GROUNDS, [8, 4, 2, 1, 1, 1, 1, 1], k=2)))),
                level=rnd.choice(["mbo", "hbo", None]),
                wants=rnd.choice(WANTS),
                visibility=rnd.choices(VISIBILITY, [6, 2, 1])[0],
                urgent=rnd.random() < 0.08,
                status=status,
                outcome=rnd.choice(OUTCOMES) if status == "closed" else None,
                acknowledged_at=ack,
                first_feedback_at=fb,
                handed_over=rnd.random() < 0.05,
                acknowledge=DeadlineFacts(
                    created + timedelta(days=2), ack, rnd.choice([0, 0, 1, 2])
                ),
                feedback=DeadlineFacts(created + timedelta(days=14), fb, rnd.choice([0, 0, 0, 3])),
            )
        )
    return out


def recount(rows: Sequence[StatRow], year: int, dimension: str, key: str) -> int:
    """Counted again the slow way, straight from the rows, for one year and category."""
    mine = [r for r in rows if school_year(r.created_at) == year]
    pick = {
        "phase": lambda r: r.phase == key,
        "grounds": lambda r: key in r.grounds,
        "level": lambda r: (r.level or "none") == key,
        "organization": lambda r: (r.org_id or "none") == key,
        "wants": lambda r: r.wants == key,
        "visibility": lambda r: r.visibility == key,
        "urgent": lambda r: ("yes" if r.urgent else "no") == key,
        "month": lambda r: month_of(r.created_at) == key,
        "handed_over": lambda r: ("yes" if r.handed_over else "no") == key,
        "status": lambda r: (
            r.status == key
            if r.status != "closed"
            else key == f"closed_{r.outcome if r.outcome in OUTCOMES else 'unknown'}"
        ),
    }[dimension]
    return sum(1 for r in mine if pick(r))  # type: ignore[misc,no-untyped-call]


def feasible_values(
    table: Table, key: str, own: dict[str, int] | None = None, exact: str | None = None
) -> set[int]:
    """Every value the hidden cell `key` can take given what is published: the shown
    cells, the shown total and the bounds a reader knows ("< k": 0..k-1, "×": ≥ k),
    found by trying each value (independent of `suppress.ranges`). `own`: an insider's
    own count per cell (a floor), `exact`: the cell they know outright."""
    k = table.k
    total = table.total.count
    own = own or {}
    hidden = [c for c in table.cells if c.hidden]
    rest = total - sum(c.count for c in table.cells if not c.hidden)

    def bounds(c: object) -> range:
        cell_key, hidden_as = c.key, c.hidden  # type: ignore[attr-defined]
        base = range(0, k) if hidden_as == SMALL else range(k, total + 1)
        if cell_key == exact:
            return range(own.get(cell_key, 0), own.get(cell_key, 0) + 1)
        return range(max(base.start, own.get(cell_key, 0)), base.stop)

    me = table.cell(key)
    others = [c for c in hidden if c.key != key]
    if any(len(bounds(c)) == 0 for c in others):
        return set()
    lo = sum(bounds(c)[0] for c in others)
    hi = sum(bounds(c)[-1] for c in others)
    return {v for v in bounds(me) if lo <= rest - v <= hi}


async def insert_rows(sessions, rows: Sequence[StatRow], server) -> list[str]:  # type: ignore[no-untyped-def]
    """The rows as `reports` (statistics columns only, like a real report's row),
    their deadlines, and an audit hand-over entry for each handed-over one."""
    import uuid

    from storage.db.models import Deadline, Report
    from storage.repositories import audit

    ids = []
    async with sessions() as session, session.begin():
        for i, r in enumerate(rows):
            rid = uuid.uuid4().hex
            ids.append(rid)
            session.add(
                Report(
                    id=rid, reference=f"SM-T{i:07d}"[:16], org_id=r.org_id, phase=r.phase,
                    grounds=",".join(r.grounds), when_bucket="week", wants=r.wants,
                    visibility=r.visibility, urgent=r.urgent, status=r.status,
                    created_at=r.created_at, updated_at=r.created_at, level=r.level,
                    acknowledged_at=r.acknowledged_at, first_feedback_at=r.first_feedback_at,
                    outcome=r.outcome,
                    closed_at=_after(r, "closed", 40), withdrawn_at=_after(r, "withdrawn", 1),
                )
            )  # fmt: skip
        await session.flush()
        for rid, r in zip(ids, rows, strict=True):
            for kind in ("acknowledge", "feedback"):
                d = getattr(r, kind)
                if d is not None:
                    session.add(
                        Deadline(report_id=rid, kind=kind, due_at=d.due_at, met_at=d.met_at,
                                 level=d.level, next_step_at=d.due_at)
                    )  # fmt: skip
            if r.handed_over:
                await audit.append(
                    session, server, at=r.created_at + timedelta(days=1), actor="hhs-vp",
                    action="handover_org", report_id=rid, org_id=r.org_id, detail="sbb",
                )  # fmt: skip
    return ids


def _after(r: StatRow, status: str, days: int) -> datetime | None:
    return r.created_at + timedelta(days=days) if r.status == status else None


def counts_of(figures) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Every cell of every year and period table: (count, hidden), for comparing."""
    out = {}
    for year, tables in figures.years.items():
        for name, table in tables.items():
            for cell in (*table.cells, table.total):
                out[(year, name, cell.key)] = (cell.count, cell.hidden)
    for which, period in (("now", figures.current), ("before", figures.previous)):
        for name, table in period.tables.items():
            for cell in (*table.cells, table.total):
                out[(which, name, cell.key)] = (cell.count, cell.hidden)
        for kind, median in period.medians.items():
            out[(which, "median", kind)] = (median.days, median.n)
    return out
