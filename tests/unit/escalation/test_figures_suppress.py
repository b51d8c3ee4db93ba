"""Suppression: no published figure, nor a sum or difference of published figures,
pins down a count below the threshold (docs/figures.md, "Nobody singled out")."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.figures.rows import school_year
from escalation.figures.suppress import LINKED, SMALL, Table, combine, label, suppress
from escalation.figures.tables import compute
from tests.support.figures_helpers import ORGS, feasible_values, random_rows, recount

counts_st = st.lists(st.integers(0, 14), min_size=2, max_size=7)


def _table(values: list[int], k: int, partition: bool = True) -> Table:
    counts = {f"c{i}": n for i, n in enumerate(values)}
    return suppress("d", counts, sum(values), k, partition=partition)


@given(values=counts_st, k=st.integers(3, 7))
def test_no_hidden_cell_of_a_table_is_determined(values: list[int], k: int) -> None:
    table = _table(values, k)
    for cell in table.cells:
        if cell.count < k:
            assert cell.hidden, "every cell below the threshold is hidden"
        if not cell.hidden:
            continue
    if table.total.hidden:
        return  # nothing to reason from: the equation itself is not published
    for cell in table.cells:
        if cell.hidden:
            assert len(feasible_values(table, cell.key)) >= 2, (values, k, cell)


@given(values=counts_st, k=st.integers(3, 7))
def test_shown_cells_are_the_true_counts_and_labels_say_the_bound(
    values: list[int], k: int
) -> None:
    table = _table(values, k)
    for cell, n in zip(table.cells, values, strict=True):
        assert cell.count == n
        if cell.hidden == SMALL:
            assert n < k and label(cell, k) == f"< {k}"
        elif cell.hidden == LINKED:
            assert n >= k and label(cell, k) == "×"
        else:
            assert label(cell, k) == str(n)


def test_two_small_cells_that_add_up_to_zero_are_not_published_as_a_pair() -> None:
    # 20 looking, nothing else: the three zeros alone would be fixed at 0 by the total.
    table = suppress("phase", {"a": 20, "b": 0, "c": 0, "d": 0}, 20, 5)
    assert table.cell("a").hidden == LINKED and not table.total.hidden


def test_one_small_cell_never_stands_alone() -> None:
    table = suppress("phase", {"a": 30, "b": 12, "c": 2}, 44, 5)
    assert table.cell("c").hidden == SMALL
    assert table.cell("b").hidden == LINKED  # the smallest other, so 44 - 30 ≠ c
    assert table.cell("a").shown == 30


def test_a_period_shows_only_what_every_year_shows() -> None:
    y1 = suppress("d", {"a": 3, "b": 9, "c": 20}, 32, 5)
    y2 = suppress("d", {"a": 6, "b": 9, "c": 20}, 35, 5)
    both = combine([y1, y2])
    # a is hidden in year 1: the two-year a (9) would give year 1's a as 9 - 6.
    assert both.cell("a").shown is None and both.cell("c").shown == 40
    assert label(both.cell("a"), 5) == "×"  # year 2's a is at least 5: nothing new


def test_a_period_s_hidden_mark_adds_no_bound_to_the_years() -> None:
    # Each year: two small cells adding up to 6, so each is 2..4. Had the period said
    # "< 5" for a (2 + 2), a reader would know a = 2 in both years.
    y1 = suppress("d", {"a": 2, "b": 4, "c": 20}, 26, 5)
    y2 = suppress("d", {"a": 2, "b": 4, "c": 20}, 26, 5)
    both = combine([y1, y2])
    assert [label(c, 5) for c in both.cells] == ["< 9", "< 9", "40"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 120), k=st.integers(3, 6))
def test_random_report_sets_publish_nothing_that_determines_a_hidden_count(
    seed: int, n: int, k: int
) -> None:
    rows = random_rows(seed, n, 2022, 4)
    figures = compute(rows, until=2025, span=2, k=k, org_ids=ORGS)
    for year, tables in figures.years.items():
        mine = [r for r in rows if school_year(r.created_at) == year]
        for table in tables.values():
            assert table.total.count == len(mine)
            if table.total.hidden:
                assert all(c.hidden for c in table.cells), "a hidden total hides its year"
                continue
            hidden = [c for c in table.cells if c.hidden]
            assert len(hidden) != 1, "never one hidden cell alone"
            if table.partition:
                for cell in hidden:
                    assert len(feasible_values(table, cell.key)) >= 2
            _insiders_learn_no_small_rest(table, mine, k)
    for period in (figures.current, figures.previous):
        for name, table in period.tables.items():
            parts = [figures.years[y][name] for y in period.years]
            for cell in table.cells:
                year_cells = [
                    p.cell(cell.key) for p in parts if any(c.key == cell.key for c in p.cells)
                ]
                if cell.shown is not None:
                    # A published period cell is a sum of published year cells: it adds
                    # nothing a reader of the years could not already work out.
                    assert all(c.shown is not None for c in year_cells)
                    assert cell.shown == sum(c.count for c in year_cells)
        for m in period.medians.values():
            assert m.days is None or m.n >= k
        if period.crossing is not None and period.crossing.cells is not None:
            assert all(v >= k * len(period.years) for v in period.crossing.cells.values())
            for y in period.years:  # its margins would give hidden cells back
                for name in ("level", "phase"):
                    assert not any(c.hidden for c in figures.years[y][name].cells)


def _insiders_learn_no_small_rest(table, rows, k: int) -> None:  # type: ignore[no-untyped-def]
    """An organization's coordinator knows their own reports: from what the network
    publishes they must not learn that 1 to k - 1 reports of others are in a cell."""
    for org in ORGS:
        mine = [r for r in rows if r.org_id == org]
        own = (
            {
                c.key: recount(mine, school_year(mine[0].created_at), table.dimension, c.key)
                for c in table.cells
            }
            if mine and table.dimension in RECOUNTABLE
            else None
        )
        if own is None:
            continue
        exact = org if table.dimension == "organization" else None
        for cell in table.cells:
            if not cell.hidden:
                assert not 1 <= cell.count - own[cell.key] <= k - 1, (org, table.dimension)
            elif table.partition:
                values = feasible_values(table, cell.key, own, exact)
                if len(values) == 1:
                    assert not 1 <= values.pop() - own[cell.key] <= k - 1, (org, cell)


RECOUNTABLE = ("phase", "grounds", "level", "organization", "wants", "visibility", "urgent",
               "month", "handed_over", "status")  # fmt: skip


def test_min_cell_below_three_is_refused_with_one_line(make_settings) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from bot.app.settings import ConfigError

    with pytest.raises(ConfigError) as refused:
        make_settings(statistics={"min_cell": 2})
    assert refused.value.key == "statistics.min_cell" and "at least 3" in str(refused.value)
    assert make_settings(statistics={"min_cell": 3}).directory.statistics.min_cell == 3
    assert make_settings().directory.statistics.min_cell == 5
    assert not make_settings().directory.statistics.public
