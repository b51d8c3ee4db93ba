"""Random and fixed report rows for the figures' tests, and a brute-force recount."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from escalation.figures.rows import DeadlineFacts, StatRow, month_of, school_year
from escalation.figures.suppress import SMALL, Table
from escalation.figures.tables import GROUNDS, OUTCOMES, PHASES, VISIBILITY, WANTS

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
    return sum(1 for r in mine if pick(r))


def feasible_values(table: Table, key: str) -> set[int]:
    """Every value the hidden cell `key` can take given what is published: the shown
    cells, the shown total and the bounds a reader knows ("< k": 0..k-1, "×": ≥ k),
    found by trying each value (independent of `suppress.determined`)."""
    k = table.k
    total = table.total.count
    hidden = [c for c in table.cells if c.hidden]
    rest = total - sum(c.count for c in table.cells if not c.hidden)

    def bounds(hidden_as: str) -> range:
        return range(0, k) if hidden_as == SMALL else range(k, total + 1)

    me = table.cell(key)
    others = [c for c in hidden if c.key != key]
    lo = sum(bounds(c.hidden)[0] for c in others)
    hi = sum(bounds(c.hidden)[-1] for c in others if len(bounds(c.hidden)))
    if any(len(bounds(c.hidden)) == 0 for c in others):
        return set()
    return {v for v in bounds(me.hidden) if lo <= rest - v <= hi}
