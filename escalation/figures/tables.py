"""The figures themselves, computed from `StatRow`s: pure, no database, no clock.

Every dimension's categories are fixed lists (zeros included), so whether a category
appears never tells anything. Tables are made per school year and suppressed there
(`suppress`); a period (one or two school years) and the period before it are sums of
year tables (`combine`). Medians are published only over at least `k` reports, rates
only beside a published count, a crossing of two dimensions only when every cell of it
reaches `k` in every year of the period.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from escalation.figures.rows import StatRow, month_of, school_year, working_days
from escalation.figures.suppress import (
    Insider,
    Table,
    combine,
    hide_all,
    suppress,
)
from vocabulary.channel import CHANNELS as CHANNEL_CODES
from vocabulary.sector import SECTORS as SECTOR_CODES

# CBS Schoolverlatingsonderzoek 2024 (mbo-bol): 1 in 10 students met internship
# discrimination and 6 % of them reported it officially: about 6 official reports per
# 1,000 students. An estimate of the reporting rate, not a target.
CBS_MET = 0.10
CBS_REPORTED = 0.06
CBS_PER_1000 = round(1000 * CBS_MET * CBS_REPORTED, 1)

NONE = "none"
MONTHS = ("08", "09", "10", "11", "12", "01", "02", "03", "04", "05", "06", "07")
PHASES = ("looking", "interview", "during", "other")
GROUNDS = ("origin", "religion", "gender", "orientation", "disability", "age", "unknown", "other")
LEVELS = ("mbo", "hbo", NONE)
SECTORS = (*SECTOR_CODES, NONE)
WANTS = ("register", "talk", "action", "advice", NONE)
VISIBILITY = ("school", "school_and_workplace", "network", NONE)
CHANNELS = (*CHANNEL_CODES, NONE)
YES_NO = ("yes", "no")
OUTCOMES = ("resolved", "advised", "referred", "no_action", "no_contact")
STATUS = (
    "received", "in_progress", "waiting", "withdrawn",
    *(f"closed_{o}" for o in OUTCOMES), "closed_unknown", NONE,
)  # fmt: skip
TIMELINESS = ("on_time", "late", "not_met", NONE)
STEPS = ("0", "1", "2", "3", NONE)
DEADLINE_KINDS = ("acknowledge", "feedback")


def _status(r: StatRow) -> str:
    if r.status != "closed":
        return r.status
    return f"closed_{r.outcome}" if r.outcome in OUTCOMES else "closed_unknown"


def _timeliness(kind: str) -> Callable[[StatRow], str]:
    def key(r: StatRow) -> str:
        d = getattr(r, kind)
        if d is None:
            return NONE
        if d.met_at is None:
            return "not_met"
        return "on_time" if d.met_at <= d.due_at else "late"

    return key


def _steps(kind: str) -> Callable[[StatRow], str]:
    def key(r: StatRow) -> str:
        d = getattr(r, kind)
        return NONE if d is None else str(min(max(d.level, 0), 3))

    return key


@dataclass(frozen=True)
class Dimension:
    name: str
    categories: tuple[str, ...]
    key: Callable[[StatRow], str] | None = None  # one category per report
    keys: Callable[[StatRow], Sequence[str]] | None = None  # several (grounds)

    def of(self, r: StatRow) -> Sequence[str]:
        if self.keys is not None:
            return self.keys(r)
        if self.key is None:
            raise TypeError(f"dimension {self.name} has neither key nor keys")
        return (self.key(r),)


def dimensions(
    org_ids: Sequence[str], *, network: bool, sector: bool, channel: bool
) -> tuple[Dimension, ...]:
    """What is counted; `organization` only for the network's scope, `sector` and
    `channel` only where the reports store them."""
    dims = [
        Dimension("month", MONTHS, key=lambda r: month_of(r.created_at)),
        Dimension("phase", PHASES, key=lambda r: r.phase),
        Dimension("grounds", GROUNDS, keys=lambda r: r.grounds),
        Dimension("level", LEVELS, key=lambda r: r.level or NONE),
    ]
    if network:
        orgs = (*org_ids, NONE)
        dims.append(Dimension("organization", orgs, key=lambda r: r.org_id or NONE))
    if sector:
        dims.append(Dimension("sector", SECTORS, key=lambda r: r.sector or NONE))
    dims += [
        Dimension("wants", WANTS, key=lambda r: r.wants),
        Dimension("visibility", VISIBILITY, key=lambda r: r.visibility),
    ]
    if channel:
        dims.append(Dimension("channel", CHANNELS, key=lambda r: r.channel or NONE))
    dims += [
        Dimension("urgent", YES_NO, key=lambda r: "yes" if r.urgent else "no"),
        Dimension("status", STATUS, key=_status),
        Dimension("handed_over", YES_NO, key=lambda r: "yes" if r.handed_over else "no"),
    ]
    for kind in DEADLINE_KINDS:
        dims.append(Dimension(f"{kind}_timeliness", TIMELINESS, key=_timeliness(kind)))
        dims.append(Dimension(f"{kind}_steps", STEPS, key=_steps(kind)))
    return tuple(dims)


def count(rows: Iterable[StatRow], dim: Dimension) -> dict[str, int]:
    """Every category of `dim`, zeros too. A code the figures do not know (a new one
    from another part of the service) counts under the last category (other, unknown):
    a line of its own would appear only when someone used it, and so tell that someone
    did."""
    counts = dict.fromkeys(dim.categories, 0)
    fallback = dim.categories[-1]
    for r in rows:
        for key in dict.fromkeys(k if k in counts else fallback for k in dim.of(r)):
            counts[key] += 1
    return counts


def year_tables(
    rows: Sequence[StatRow], dims: Sequence[Dimension], k: int, *, network: bool = False
) -> dict[str, Table]:
    """One school year's tables. The total is the same in every table, so when one
    table could only be protected by hiding it, the whole year is hidden. The network's
    tables are protected against each organization's coordinator too (`Insider`)."""
    # Every organization holding reports here; nobody holds those without one.
    orgs = sorted({r.org_id for r in rows if r.org_id}) if network else []
    tables = {}
    for d in dims:
        insiders = [
            Insider(
                count([r for r in rows if r.org_id == org], d),
                frozenset({org}) if d.name == "organization" else frozenset(),
            )
            for org in orgs
        ]
        tables[d.name] = suppress(
            d.name, count(rows, d), len(rows), k, partition=d.keys is None, insiders=insiders
        )
    if any(t.total.hidden for t in tables.values()):
        return {name: hide_all(t) for name, t in tables.items()}
    return tables


@dataclass(frozen=True)
class Median:
    days: float | None  # None: fewer than k reports to take it over
    n: int


@dataclass(frozen=True)
class Crossing:
    rows: str
    columns: str
    cells: dict[tuple[str, str], int] | None  # None: some cell stays below k

    @property
    def row_keys(self) -> list[str]:
        return list(dict.fromkeys(r for r, _ in self.cells or {}))

    @property
    def column_keys(self) -> list[str]:
        return list(dict.fromkeys(c for _, c in self.cells or {}))


@dataclass(frozen=True)
class Rate:
    org_id: str
    students: int
    count: int | None  # the organization's published count in the period
    per_1000: float | None  # per 1,000 students per school year


@dataclass(frozen=True)
class PeriodFigures:
    years: tuple[int, ...]
    tables: dict[str, Table]
    medians: dict[str, Median]
    crossing: Crossing | None = None
    rates: tuple[Rate, ...] = ()

    @property
    def total(self) -> int | None:
        return next(iter(self.tables.values())).total.shown if self.tables else None


@dataclass(frozen=True)
class Figures:
    scope: str | None  # an organization's id, None for the whole network
    k: int
    current: PeriodFigures
    previous: PeriodFigures
    years: dict[int, dict[str, Table]] = field(default_factory=dict)
    demo: int = 0  # demo reports among those counted


def median_days(rows: Iterable[StatRow], attribute: str, k: int) -> Median:
    days = [
        working_days(r.created_at, moment)
        for r in rows
        if (moment := getattr(r, attribute)) is not None
    ]
    if len(days) < k:
        return Median(None, len(days))
    return Median(float(statistics.median(days)), len(days))


CROSSING = ("level", "phase")


def crossing(
    by_year: Mapping[int, Sequence[StatRow]],
    tables: Mapping[int, Mapping[str, Table]],
    dims: Sequence[Dimension],
    k: int,
    *,
    network: bool = False,
) -> Crossing:
    """Level × phase, summed over the period's years, or None when in some year a cell
    is below k, a cell of either margin's table is hidden (the crossing would give it
    back), or — for the network — one organization's own reports leave a small rest."""
    a, b = (next(d for d in dims if d.name == name) for name in CROSSING)
    total: dict[tuple[str, str], int] = {}
    for year, rows in by_year.items():
        margins = (tables[year][a.name], tables[year][b.name])
        cells = _pairs(rows, a, b)
        small = any(n < k for n in cells.values())
        hidden = any(c.hidden for m in margins for c in (*m.cells, m.total))
        if small or hidden or (network and _small_rest(rows, a, b, cells, k)):
            return Crossing(a.name, b.name, None)
        for pair, n in cells.items():
            total[pair] = total.get(pair, 0) + n
    return Crossing(a.name, b.name, total)


def _pairs(rows: Iterable[StatRow], a: Dimension, b: Dimension) -> dict[tuple[str, str], int]:
    cells = {(x, y): 0 for x in a.categories for y in b.categories}
    for r in rows:
        pair = (a.of(r)[0], b.of(r)[0])
        cells[pair] = cells.get(pair, 0) + 1
    return cells


def _small_rest(
    rows: Sequence[StatRow],
    a: Dimension,
    b: Dimension,
    cells: Mapping[tuple[str, str], int],
    k: int,
) -> bool:
    for org in {r.org_id for r in rows if r.org_id}:
        own = _pairs([r for r in rows if r.org_id == org], a, b)
        if any(1 <= n - own.get(pair, 0) <= k - 1 for pair, n in cells.items()):
            return True
    return False


def period(
    years: Sequence[int],
    by_year: Mapping[int, Sequence[StatRow]],
    tables: dict[int, dict[str, Table]],
    dims: Sequence[Dimension],
    k: int,
    students: dict[str, int],
    scope: str | None = None,
) -> PeriodFigures:
    combined = {d.name: combine([tables[y][d.name] for y in years]) for d in dims}
    rows = [r for y in years for r in by_year.get(y, ())]
    medians = {
        "acknowledge": median_days(rows, "acknowledged_at", k),
        "feedback": median_days(rows, "first_feedback_at", k),
    }
    by_org = combined.get("organization")
    if by_org is not None:
        published = by_org.published
    else:  # an organization's own scope: its total is its count
        published = {scope or "": next(iter(combined.values())).total.shown}
    rates = _rates(published, students, len(years))
    cross = crossing({y: by_year.get(y, ()) for y in years}, tables, dims, k, network=scope is None)
    return PeriodFigures(tuple(years), combined, medians, cross, rates)


def _rates(
    published: dict[str, int | None], students: dict[str, int], years: int
) -> tuple[Rate, ...]:
    """Per school with a `students:` number, beside its published count only."""
    out = []
    for org_id, n in students.items():
        shown = published.get(org_id)
        per = None if shown is None else round(1000 * shown / n / years, 1)
        out.append(Rate(org_id, n, shown, per))
    return tuple(out)


def compute(
    rows: Sequence[StatRow],
    *,
    until: int,
    span: int,
    k: int,
    org_ids: Sequence[str],
    scope: str | None = None,
    students: dict[str, int] | None = None,
    sector: bool = False,
    channel: bool = False,
) -> Figures:
    """The period of `span` school years ending with the one starting in `until`, and
    the `span` years before it; `rows` already limited to the scope."""
    current = tuple(range(until - span + 1, until + 1))
    previous = tuple(y - span for y in current)
    dims = dimensions(org_ids, network=scope is None, sector=sector, channel=channel)
    by_year: dict[int, list[StatRow]] = {y: [] for y in (*previous, *current)}
    for r in rows:
        y = school_year(r.created_at)
        if y in by_year:
            by_year[y].append(r)
    tables = {y: year_tables(by_year[y], dims, k, network=scope is None) for y in by_year}
    known = {o: n for o, n in (students or {}).items() if scope is None or o == scope}
    return Figures(
        scope=scope,
        k=k,
        current=period(current, by_year, tables, dims, k, known, scope),
        previous=period(previous, by_year, tables, dims, k, known, scope),
        years=tables,
        demo=sum(1 for y in by_year.values() for r in y if r.demo),
    )
