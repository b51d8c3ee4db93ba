"""`run --demo`'s figures: several hundred synthetic reports across the network's
schools, marked as demo data, added once, and nobody can open them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from bot.app.container import build_container
from bot.app.demo import DEMO_REPORTS, seed_demo_reports
from bot.app.settings import Settings
from escalation.figures.query import DEMO_PREFIX
from escalation.figures.rows import last_completed_year, school_year
from escalation.figures.scope import FigureService
from storage.db.clock import utcnow
from storage.db.models import Report, SealedKey


async def test_the_demo_seeds_several_hundred_marked_reports_once(
    make_settings: Callable[..., Settings],
) -> None:
    container = await build_container(make_settings())
    try:
        now = utcnow()
        args = (container.sessions, container.directory, now, container.deadline_policy)
        assert await seed_demo_reports(*args) == DEMO_REPORTS >= 300
        assert await seed_demo_reports(*args) == 0  # a second run adds nothing
        async with container.sessions() as session:
            reports = (await session.scalars(select(Report))).all()
            sealed = await session.scalar(select(func.count()).select_from(SealedKey))
        assert all(r.reference.startswith(DEMO_PREFIX) and r.erased_at for r in reports)
        assert sealed == 0 and all(r.receipt_lookup is None for r in reports)
        schools = {o.id for o in container.directory.schools}
        assert schools <= {r.org_id for r in reports}
        years = {school_year(r.created_at) for r in reports}
        assert max(years) == last_completed_year(now) and len(years) >= 4
        service = FigureService(container.sessions, container.directory, clock=lambda: now)
        figures = await service.figures(service.period(None, None))
        counted = [p.tables["phase"].total.count for p in (figures.current, figures.previous)]
        assert figures.demo == sum(counted) and min(counted) > 100
    finally:
        await container.close()
