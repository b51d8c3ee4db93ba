"""Small-cell suppression: no published figure, nor any sum or difference of published
figures, pins down a count below `min_cell`.

A table is one dimension of one school year: its cells partition the year's reports
(each report in exactly one cell), so the published cells and the total form one linear
equation. A cell below the threshold is hidden ("< 5", primary). Then, as long as the
equation with the published cells and the bounds a reader knows (a "< 5" cell is 0..4,
any other hidden cell at least 5) still fixes some hidden cell to one value, the
smallest published cell is hidden too (secondary); with none left, the total goes.
Grounds are the exception: a report may name several, so their cells do not add up to
the total and only get the "never one hidden cell alone" rule.

The network's tables are also read by each organization's coordinator, who knows their
own reports (`Insider`): a cell is hidden when it minus their own count is small, and a
hidden cell must not be pinned down by what they know either.

Periods longer than a school year are sums of year tables (`combine`): a cell is shown
only when every year's cell is, so nothing is published that the year tables do not
already give away — no difference between a period and a year recovers a hidden cell,
and a hidden period cell's mark is the bound its years imply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SMALL = "small"  # below the threshold: shown as "< k"
LINKED = "linked"  # hidden so that a small cell cannot be worked out: shown as "×"


@dataclass(frozen=True)
class Cell:
    key: str
    count: int  # the true count: never leaves this package unless `shown`
    hidden: str = ""  # "" | SMALL | LINKED
    below: int = 0  # SMALL over several years: the bound the years imply ("< 9")

    @property
    def shown(self) -> int | None:
        return None if self.hidden else self.count


@dataclass(frozen=True)
class Table:
    """One dimension's cells and their total, suppressed for threshold `k`."""

    dimension: str
    cells: tuple[Cell, ...]
    total: Cell
    k: int
    partition: bool = True  # the cells add up to the total

    def cell(self, key: str) -> Cell:
        return next(c for c in self.cells if c.key == key)

    @property
    def published(self) -> dict[str, int | None]:
        return {c.key: c.shown for c in self.cells}


def label(cell: Cell, k: int) -> str:
    """What a reader sees for a cell: the number, "< k" or "×"."""
    if not cell.hidden:
        return str(cell.count)
    return f"< {cell.below or k}" if cell.hidden == SMALL else "×"


@dataclass(frozen=True)
class Insider:
    """What one organization's coordinator knows besides the published figures: how
    many of their own reports are in each cell (they can open them one by one). In
    `exact` cells nobody else's reports can be (their own line of the table by
    organization), so they know those cells outright. For them a cell gives away
    another organization's students when the rest (the cell minus their own) is small:
    1 to k - 1."""

    counts: Mapping[str, int]
    exact: frozenset[str] = frozenset()

    def floor(self, key: str) -> int:
        return self.counts.get(key, 0)

    def exposes(self, key: str, value: int, k: int) -> bool:
        return 1 <= value - self.floor(key) <= k - 1


def _bounds(cell: Cell, k: int, total: int, insider: Insider | None) -> tuple[int, int]:
    lo, hi = (0, k - 1) if cell.hidden == SMALL else (k, total)
    if insider is None:
        return lo, hi
    own = insider.floor(cell.key)
    if cell.key in insider.exact:
        return own, own
    return max(lo, own), hi


def ranges(
    cells: Sequence[Cell], total: int, k: int, insider: Insider | None = None
) -> dict[str, tuple[int, int]]:
    """What a reader (or one insider) can narrow each hidden cell down to.

    One equation (hidden cells add up to S) with box bounds: each hidden value ranges
    over [max(lo, S - Σ others' hi), min(hi, S - Σ others' lo)], every integer in it
    reachable.
    """
    hidden = [c for c in cells if c.hidden]
    rest = total - sum(c.count for c in cells if not c.hidden)
    bounds = [_bounds(c, k, total, insider) for c in hidden]
    lo_sum, hi_sum = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
    out = {}
    for cell, (lo, hi) in zip(hidden, bounds, strict=True):
        out[cell.key] = (max(lo, rest - (hi_sum - hi)), min(hi, rest - (lo_sum - lo)))
    return out


def determined(cells: Sequence[Cell], total: int, k: int) -> list[str]:
    """The hidden cells whose value the published cells, the total and the bounds fix."""
    return [key for key, (low, high) in ranges(cells, total, k).items() if low >= high]


def exposed(cells: Sequence[Cell], total: int, k: int, insiders: Sequence[Insider] = ()) -> bool:
    """Some hidden cell is pinned down: for any reader, or, for an insider, to a value
    whose rest (beyond their own reports) is small."""
    if determined(cells, total, k):
        return True
    for insider in insiders:
        for key, (low, high) in ranges(cells, total, k, insider).items():
            if low >= high and insider.exposes(key, low, k):
                return True
    return False


def _primary(key: str, n: int, k: int, insiders: Sequence[Insider]) -> str:
    if n < k:
        return SMALL
    return LINKED if any(i.exposes(key, n, k) for i in insiders) else ""


def suppress(
    dimension: str,
    counts: Mapping[str, int],
    total: int,
    k: int,
    *,
    partition: bool = True,
    insiders: Sequence[Insider] = (),
) -> Table:
    """The table of `counts` (every category, zeros included) with its total.
    `insiders`: the organizations whose coordinators see this table (network scope)."""
    cells = [Cell(key, n, _primary(key, n, k, insiders)) for key, n in counts.items()]
    if total < k:
        hidden = [Cell(c.key, c.count, c.hidden or LINKED) for c in cells]
        return Table(dimension, tuple(hidden), Cell("total", total, SMALL), k, partition)
    total_hidden = ""
    if partition:
        while exposed(cells, total, k, insiders):
            cells, more = _hide_smallest(cells)
            if not more:
                total_hidden = LINKED
                break
    elif sum(1 for c in cells if c.hidden) == 1:
        cells, _ = _hide_smallest(cells)
    return Table(dimension, tuple(cells), Cell("total", total, total_hidden), k, partition)


def hide_all(table: Table) -> Table:
    """Every cell and the total hidden (a year too small to publish anything of)."""
    k = table.k

    def hide(c: Cell) -> Cell:
        return Cell(c.key, c.count, c.hidden or (SMALL if c.count < k else LINKED))

    return Table(
        table.dimension, tuple(map(hide, table.cells)), hide(table.total), k, table.partition
    )


def _hide_smallest(cells: list[Cell]) -> tuple[list[Cell], bool]:
    shown = [c for c in cells if not c.hidden]
    if not shown:
        return cells, False
    pick = min(shown, key=lambda c: c.count).key
    return [Cell(c.key, c.count, LINKED) if c.key == pick else c for c in cells], True


def combine(tables: Iterable[Table]) -> Table:
    """A period's table from its school years' tables: a cell (or the total) is shown
    only when it is shown in every year."""
    years = list(tables)
    first = years[0]
    k = first.k
    cells = []
    for cell in first.cells:
        parts = [t.cell(cell.key) for t in years]
        cells.append(_sum_cell(cell.key, parts, k))
    total = _sum_cell("total", [t.total for t in years], k)
    return Table(first.dimension, tuple(cells), total, k, first.partition)


def _sum_cell(key: str, parts: Sequence[Cell], k: int) -> Cell:
    """The hidden mark says only what the years' marks already say: "< 9" over two
    years when each year's cell is "< 5", else "×" (some part is at least k). Saying
    "< 5" or "×" from the sum itself would add a bound a reader could combine with the
    years' tables to pin a cell down."""
    count = sum(p.count for p in parts)
    if all(not p.hidden for p in parts):
        return Cell(key, count)
    if all(p.hidden == SMALL for p in parts):
        return Cell(key, count, SMALL, below=sum((p.below or k) - 1 for p in parts) + 1)
    return Cell(key, count, LINKED)
