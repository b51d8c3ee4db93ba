"""What the figures count: working days, medians, rates beside published counts only,
the one crossing, completed school years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalation.console.texts import ConsoleTexts
from escalation.figures.rows import StatRow, last_completed_year, school_year, working_days
from escalation.figures.sheet import summary
from escalation.figures.tables import CBS_PER_1000, compute, median_days

MONDAY = datetime(2025, 3, 3, 9, tzinfo=UTC)


def _row(created: datetime, **changes: object) -> StatRow:
    values: dict[str, object] = dict(
        created_at=created, org_id="hhs", phase="looking", grounds=("origin",), level="hbo",
        wants="talk", visibility="school", urgent=False, status="received", outcome=None,
    )  # fmt: skip
    values.update(changes)
    return StatRow(**values)  # type: ignore[arg-type]


def test_working_days_skip_weekends_and_dutch_holidays() -> None:
    assert working_days(MONDAY, MONDAY + timedelta(hours=3)) == 0
    assert working_days(MONDAY, MONDAY + timedelta(days=4)) == 4  # Tuesday .. Friday
    assert working_days(MONDAY + timedelta(days=4), MONDAY + timedelta(days=7)) == 1  # Fri→Mon
    kingsday = datetime(2025, 4, 25, 9, tzinfo=UTC)  # Friday; 26 April is Saturday
    assert working_days(kingsday, kingsday + timedelta(days=3)) == 1
    easter = datetime(2025, 4, 18, 9, tzinfo=UTC)  # Good Friday → Tuesday after Easter Monday
    assert working_days(easter, easter + timedelta(days=4)) == 1


def test_a_median_needs_at_least_k_reports() -> None:
    rows = [_row(MONDAY, acknowledged_at=MONDAY + timedelta(days=d)) for d in (1, 1, 2, 3)]
    assert median_days(rows, "acknowledged_at", 5).days is None
    rows.append(_row(MONDAY, acknowledged_at=MONDAY + timedelta(days=8)))  # 6 working days
    found = median_days(rows, "acknowledged_at", 5)
    assert found.days == 2 and found.n == 5


def test_rates_only_beside_a_published_count_and_the_cbs_estimate() -> None:
    rows = [_row(datetime(2024, 9, 2, 9, tzinfo=UTC) + timedelta(days=i)) for i in range(30)]
    rows += [_row(datetime(2024, 9, 2, 9, tzinfo=UTC), org_id="inholland") for _ in range(2)]
    figures = compute(
        rows, until=2024, span=1, k=5, org_ids=["hhs", "inholland"],
        students={"hhs": 10_000, "inholland": 5_000},
    )  # fmt: skip
    rates = {r.org_id: r for r in figures.current.rates}
    assert rates["hhs"].count == 30 and rates["hhs"].per_1000 == 3.0
    assert rates["inholland"].count is None and rates["inholland"].per_1000 is None
    lines = {s.label: s.current for s in summary(figures, ConsoleTexts("en"), {"hhs": "HHS"})}
    assert lines["Reports per 1,000 students per school year: HHS"] == "3"
    assert CBS_PER_1000 == 6.0
    assert "Expectation based on CBS (an estimate): official reports per 1,000 students" in lines


def test_the_crossing_is_shown_only_when_every_cell_reaches_k() -> None:
    start = datetime(2024, 9, 2, 9, tzinfo=UTC)
    rows = [
        _row(start, level=level, phase=phase)
        for level in ("mbo", "hbo", None)
        for phase in ("looking", "interview", "during", "other")
        for _ in range(5)
    ]
    shown = compute(rows, until=2024, span=1, k=5, org_ids=["hhs"]).current.crossing
    assert shown is not None and shown.cells is not None and shown.cells[("mbo", "other")] == 5
    hidden = compute(rows[:-1], until=2024, span=1, k=5, org_ids=["hhs"]).current.crossing
    assert hidden is not None and hidden.cells is None


def test_only_completed_school_years_and_the_year_boundary_is_1_august_dutch_time() -> None:
    assert school_year(datetime(2025, 7, 31, 21, 59, tzinfo=UTC)) == 2024  # 23:59 in NL
    assert school_year(datetime(2025, 7, 31, 22, 0, tzinfo=UTC)) == 2025  # 1 Aug 00:00
    assert last_completed_year(datetime(2026, 7, 31, 12, tzinfo=UTC)) == 2024
    assert last_completed_year(datetime(2026, 8, 1, 12, tzinfo=UTC)) == 2025


def test_a_code_the_figures_do_not_know_counts_under_other_and_adds_no_line() -> None:
    start = datetime(2024, 9, 2, 9, tzinfo=UTC)
    rows = [_row(start, wants="new_choice", grounds=("origin", "new_ground")) for _ in range(6)]
    figures = compute(rows, until=2024, span=1, k=5, org_ids=["hhs"])
    wants = figures.current.tables["wants"]
    assert [c.key for c in wants.cells] == ["register", "talk", "action", "advice", "none"]
    assert wants.cell("none").count == 6
    assert figures.current.tables["grounds"].cell("other").count == 6
