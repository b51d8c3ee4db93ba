"""Crash test over WhatsApp: `stagemeld run` SIGKILLed while WhatsApp students are
mid-conversation, and started again. Meta's side (the stand-in) delivers every message
until the webhook says 200, as Meta does; the service must neither lose a student nor
file twice: afterwards each student was shown exactly one receipt code, confirmed it,
and each code opens exactly one report."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from standins.whatsapp import CloudAPIStandIn
from tests.conftest import base_config, save_config
from tests.support.faults import check_reports
from tests.support.harness import Process
from tests.support.whatsapp_faults import WaWanderer
from tests.support.whatsapp_harness import whatsapp_section

GAP = (8, 20)  # messages to the students between two kills


@pytest.fixture
async def api() -> AsyncIterator[CloudAPIStandIn]:
    async with CloudAPIStandIn() as standin:
        yield standin
    assert standin.violations == [], standin.violations


async def test_whatsapp_students_survive_kills(api: CloudAPIStandIn, tmp_path: Path) -> None:
    data = base_config(tmp_path)
    data["whatsapp"] = whatsapp_section(api)
    config = tmp_path / "test-config.yaml"
    save_config(config, data)
    rng = random.Random(14)
    students = [
        WaWanderer(api, f"3161000{i:04d}", random.Random(rng.getrandbits(32)), start_within=4)
        for i in range(4)
    ]
    processes: list[Process] = []

    async def start() -> None:
        process = Process(tmp_path, config, out=f"stdout-{len(processes)}.txt")
        processes.append(process)
        process.start()
        await process.wait_for("WhatsApp: webhook on", timeout=60)

    def sent() -> int:
        return len(api.record.sent)

    try:
        await start()
        walking = asyncio.gather(*(s.run(timeout=400) for s in students))
        kills = 0
        for _ in range(3):
            target = sent() + rng.randint(*GAP)
            while not walking.done() and sent() < target:  # noqa: ASYNC110 - polled count
                await asyncio.sleep(0.05)
            if walking.done():
                break
            processes[-1].kill()
            kills += 1
            await asyncio.sleep(rng.uniform(0, 1.5))  # Meta's deliveries meet a closed door
            await start()
        await walking
        assert kills >= 2, "the students finished before the service was killed twice"
        assert processes[-1].stop() == 0
    finally:
        for process in processes:
            if process.running():
                process.kill()
    shown = {s.chat_id: s.receipts for s in students}
    confirmed = {s.chat_id: s.confirmed for s in students}
    assert await check_reports(tmp_path, data["database"]["url"], shown, confirmed) == 4
