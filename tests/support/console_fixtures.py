"""What the console's HTTP tests share: a container and the console world over it as
fixtures (a test module takes them with `container = console_fixtures.container`), and
a report with an attachment sealed to some advisers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.container import Container
from storage.crypto import proofs, thread
from storage.db.models import Attachment, Report
from tests.support.case_helpers import file_for
from tests.support.console_client import ConsoleWorld, console_container, make_world


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    async with console_container(tmp_path) as built:
        yield built


@pytest.fixture
def world(container: Container) -> ConsoleWorld:
    return make_world(container)


async def report_with_attachment(world: ConsoleWorld, readers: list[object]) -> str:
    report_id = await file_for(
        world.container.keys, world.container.reports, "hhs", readers, world.clock(),  # type: ignore[arg-type]
        visibility="network",
    )  # fmt: skip
    async with world.container.sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        assert report is not None and report.public_key is not None
        session.add(proofs.prove_attachment(
            world.container.keys.server,
            Attachment(
                id="a1", report_id=report_id, created_at=world.clock(),
                sealed=thread.seal_file(
                    report.public_key, report_id, "a1",
                    thread.FileContent("bewijs.txt", "text/html", b"<script>x</script>"),
                ),
            ),
        ))  # fmt: skip
    return report_id
