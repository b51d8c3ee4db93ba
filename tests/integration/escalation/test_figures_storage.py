"""The figures read back from the database equal a brute-force recount, on SQLite and
PostgreSQL, and erasing reports after the retention period changes no figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalation.casework.directory import Directory, Organization
from escalation.figures.rows import school_year
from escalation.figures.scope import FigureService, Period
from storage.repositories.retention import Retention
from tests.support import storage_backends
from tests.support.figures_helpers import ORGS, counts_of, insert_rows, random_rows, recount
from tests.support.storage_backends import Backend

backend = storage_backends.backend
keys = storage_backends.keys

DIRECTORY = Directory(
    tuple(
        Organization(o, o, "network" if o == "gemeente-den-haag" else "school", "mbo") for o in ORGS
    )
)
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
RECOUNTED = ("phase", "grounds", "level", "organization", "wants", "visibility", "urgent",
             "month", "handed_over", "status")  # fmt: skip


async def test_figures_equal_a_recount_and_survive_erasure(backend: Backend, keys) -> None:  # type: ignore[no-untyped-def]
    store, _ = keys
    rows = random_rows(7, 260, 2022, 4)
    ids = await insert_rows(backend.sessions, rows, store.server)
    service = FigureService(backend.sessions, DIRECTORY, min_cell=5, clock=lambda: NOW)
    period = Period(2025, 2)
    figures = await service.figures(period)
    assert set(figures.years) == {2022, 2023, 2024, 2025}
    checked = 0
    for year, tables in figures.years.items():
        assert tables["phase"].total.count == sum(
            1 for r in rows if school_year(r.created_at) == year
        )
        for name in RECOUNTED:
            for cell in tables[name].cells:
                assert cell.count == recount(rows, year, name, cell.key), (year, name, cell.key)
                checked += 1
    assert checked > 100
    before = counts_of(figures)
    hhs = await service.figures(period, "hhs")
    assert "organization" not in hhs.current.tables
    assert hhs.current.tables["phase"].total.count == sum(
        1 for r in rows if r.org_id == "hhs" and school_year(r.created_at) in (2024, 2025)
    )

    retention = Retention(backend.sessions, store.server, timedelta(days=365), timedelta(days=14),
                          clock=lambda: NOW)  # fmt: skip
    for rid in ids[::2]:
        assert await retention.erase(rid)
    after = await service.figures(period)
    assert counts_of(after) == before
    assert counts_of(await service.figures(period, "hhs")) == counts_of(hhs)
