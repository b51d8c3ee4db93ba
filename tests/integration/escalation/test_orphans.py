"""Orphaned reports: sealed to the recovery key alone because their organization's
advisers had not enrolled. They are counted in the start-up log and on the coordinators'
overview, with what to do, and `stagemeld recover` re-seals them to an enrolled adviser
with the offline recovery key, which it never prints or logs."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import wiring
from bot.app.container import Container, build_container
from bot.app.recover import ALREADY, OTHER_ORG, RESEALED, recover
from bot.app.runtime import serve
from bot.app.settings import load_settings
from storage.crypto.private_keys import private_key_from_text
from storage.crypto.sealed_keys import orphan_counts
from storage.db.models import AuditEntry, Report
from tests.conftest import base_config, save_config
from tests.support.case_helpers import PASSPHRASE, enrol, file_for
from tests.support.console_client import make_world
from tests.support.storage_helpers import read_as_adviser, unlock

STORY = "Ze wilden me niet vanwege mijn naam."


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    data = base_config(tmp_path)
    hhs = next(o for o in data["organizations"] if o["id"] == "hhs")
    hhs["advisers"].append(
        {"id": "hhs-coord", "name": "Coördinator HHS", "email": "coord@hhs.example.nl",
         "role": "coordinator"}
    )  # fmt: skip
    path = tmp_path / "config.yaml"
    save_config(path, data)
    container = await build_container(load_settings(path))
    try:
        yield container
    finally:
        await container.close()


def recovery_key_file(tmp_path: Path) -> Path:
    """Where the first start put the key: pytest's stdout is no terminal."""
    return tmp_path / "var" / "RECOVERY-KEY-move-offline.txt"


async def orphans(container: Container, org_id: str, n: int, **kw: str) -> list[str]:
    now = container.reports.clock()
    return [
        await file_for(container.keys, container.reports, org_id, [], now, story=STORY, **kw)  # type: ignore[arg-type]
        for _ in range(n)
    ]


async def test_the_start_up_log_counts_orphans_and_says_what_to_do(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    await orphans(container, "mondriaan", 2)
    await orphans(container, "hhs", 1)
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(serve(container.settings, stop, ready=ready))
        try:
            await asyncio.wait_for(ready, 30)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
    lines = [r.getMessage() for r in caplog.records if "no enrolled adviser can read" in r.message]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("3 report(s)")
    assert "mondriaan: 2" in lines[0] and "hhs: 1" in lines[0]
    assert "stagemeld adviser add" in lines[0] and "stagemeld recover" in lines[0]
    assert "offline" in lines[0]


async def test_the_coordinators_overview_counts_orphans_network_all_org_its_own(
    container: Container,
) -> None:
    world = make_world(container)
    network = await world.enrol("denhaag-coordinator")
    coordinator = await world.enrol("hhs-coord")
    hhs = await world.enrol("hhs-vp")
    await orphans(container, "mondriaan", 2)
    await orphans(container, "hhs", 1)
    await file_for(container.keys, container.reports, "hhs", [hhs], world.clock())  # readable
    async with world.client() as client:
        await world.login(client, network)
        page = (await client.get("/console/overview")).text
    assert "ROC Mondriaan: 2 melding(en)" in page and "De Haagse Hogeschool: 1 melding(en)" in page
    assert "stagemeld recover --to ID --orphans" in page and STORY not in page
    world.step()
    async with world.client() as client:
        await world.login(client, coordinator)
        page = (await client.get("/console/overview")).text
    assert "De Haagse Hogeschool: 1 melding(en)" in page and "ROC Mondriaan" not in page
    assert "stagemeld adviser add" in page


async def test_recover_reseals_orphans_to_an_enrolled_adviser_of_an_allowed_org(
    container: Container, tmp_path: Path
) -> None:
    key_file = recovery_key_file(tmp_path)
    recovery_text = next(
        ln for ln in key_file.read_text("utf-8").splitlines() if ln.startswith("stagemeld-rec")
    )
    (report_id,) = await orphans(container, "mondriaan", 1)
    (networked,) = await orphans(container, "hhs", 1, visibility="network")
    await enrol(container.accounts, "mondriaan-vp", "mondriaan")
    async with container.sessions() as session:
        assert await orphan_counts(session) == {"mondriaan": 1, "hhs": 1}
        reference = (await session.get(Report, report_id)).reference  # type: ignore[union-attr]

    command = [
        sys.executable, "-m", "bot.app.cli", "--config", str(tmp_path / "config.yaml"), "recover",
        "--to", "mondriaan-vp", "--orphans", "--recovery-key-file", str(key_file),
    ]  # fmt: skip
    result = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, cwd=tmp_path, check=False
    )
    # Both orphans go: mondriaan's own, and hhs's whose student allowed the network.
    assert result.returncode == 0, result
    assert f"{reference}: sealed to mondriaan-vp" in result.stdout, result
    body = recovery_text.split(":", 1)[1].split()
    log = (tmp_path / "var" / "log" / "stagemeld.log").read_text("utf-8")
    for text in (result.stdout, result.stderr, log):
        assert "stagemeld-recovery-key-v1" not in text
        assert not any(group in text for group in body if len(group) == 4 and group.isalnum())
    private = await unlock(container.advisers, "mondriaan-vp", PASSPHRASE)
    assert private is not None
    content = await read_as_adviser(container.reports, report_id, "mondriaan-vp", private)
    assert content is not None and content["story"] == STORY
    assert await read_as_adviser(container.reports, networked, "mondriaan-vp", private)
    async with container.sessions() as session:
        assert await orphan_counts(session) == {}
        entries = await session.scalars(select(AuditEntry).where(AuditEntry.actor == "operator"))
        recorded = [(e.action, e.report_id, e.detail) for e in entries]
    assert ("recover", report_id, "mondriaan-vp") in recorded
    assert all(STORY not in (d or "") for _, _, d in recorded)

    # Again: nothing to do. To an organization the student did not allow: refused.
    key = private_key_from_text(recovery_text)
    again = await recover(wiring.recovery(container), key, "mondriaan-vp", [reference])
    assert [o.result for o in again] == [ALREADY]
    (school_only,) = await orphans(container, "hhs", 1)
    refused = await recover(wiring.recovery(container), key, "mondriaan-vp", [school_only])
    assert [o.result for o in refused] == [OTHER_ORG]
    forced = await recover(
        wiring.recovery(container), key, "mondriaan-vp", [school_only], force_org=True
    )
    assert [o.result for o in forced] == [RESEALED]
