"""The console's page of the students' evaluations: the network coordinator reads every
student's evaluation text with its score and quote consent; nobody else reaches it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from storage.db.models import AuditEntry, Report
from storage.repositories.reports import Recipient
from tests.conftest import base_config, save_config
from tests.support.case_helpers import file_for
from tests.support.console_client import ConsoleWorld, make_world

NASTY = "<script>alert(1)</script> Sneller terugbellen & eerlijk zeggen wat er kan."


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    path = tmp_path / "config.yaml"
    save_config(path, base_config(tmp_path))
    container = await build_container(load_settings(path))
    try:
        yield container
    finally:
        await container.close()


@pytest.fixture
def world(container: Container) -> ConsoleWorld:
    return make_world(container)


async def test_the_network_coordinator_reads_evaluations_and_nobody_else(
    world: ConsoleWorld,
) -> None:
    hhs = await world.enrol("hhs-vp")
    coordinator = await world.enrol("denhaag-coordinator")
    evaluations = world.console.evaluations
    assert evaluations is not None
    readers = (Recipient(coordinator.adviser_id, coordinator.public_key),)
    saved = []
    for text, quote, score in ((NASTY, False, 2), ("Fijn geholpen.", True, 5)):
        report_id = await file_for(
            world.container.keys, world.container.reports, "hhs", [hhs], world.clock()
        )
        async with world.container.sessions() as session, session.begin():
            report = await session.get(Report, report_id)
            assert report is not None
            report.status = "closed"
        saved.append(
            await evaluations.save(report_id, score=score, text=text, quote=quote, readers=readers)
        )
    assert saved == ["saved", "saved"]

    async with world.client() as client:
        await world.login(client, coordinator)
        overview = await client.get("/console/overview")
        assert 'id="feedback-link"' in overview.text
        page = await client.get("/console/feedback")
        assert page.status_code == 200
        assert (
            "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
            and "<script>alert" not in page.text
        )
        assert "Fijn geholpen." in page.text
        assert page.text.count(">mag<") == 1 and page.text.count(">niet citeren<") == 1
        assert "De Haagse Hogeschool" in page.text
    async with world.container.sessions() as session:
        reads = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback_read"))
        ).all()
    assert [r.actor for r in reads] == ["denhaag-coordinator"]

    async with world.client() as client:
        await world.login(client, hhs)
        assert (await client.get("/console/feedback")).status_code == 404
