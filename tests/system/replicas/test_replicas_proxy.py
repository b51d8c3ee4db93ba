"""Two replicas on one PostgreSQL database behind HAProxy, one killed mid-run.

Real `stagemeld run` processes in webhook mode, a real HAProxy (Debian's; `make test`
installs it) on loopback in front of them, and Telegram played by `Deliverer`, which
POSTs every update to the one public webhook URL and retries what got no 2xx. Students
walk the report flow; part-way, one replica is killed with SIGKILL. What must hold: every
student files their report, none twice (one report each in the database); every update
is handled once; and a student notices at most one retried turn (an answer that did not
come, so they sent it again), only those whose turn was on the killed replica. Before
that, a web-chat session goes on across WebSocket connections the proxy sends to either
replica.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from standins import BotAPIStandIn
from tests.support.harness import TOKEN, Process, Student, free_port
from tests.support.proxy_harness import (
    HOOK,
    Deliverer,
    HAProxy,
    Replica,
    haproxy_config,
    haproxy_or_skip,
    replica_config,
    wait_until_up,
)
from tests.support.storage_backends import postgres_database
from tests.support.webchat_harness import buttons, chat, keys, new_session

SECRET = "replicas-webhook-secret-0123456789"
STUDENTS = 6
ANSWER_WITHIN = 6.0  # seconds a student waits before sending the same input again


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture
def running() -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        if process.running():
            process.kill()


class Patient(Student):
    """A student who, when an answer does not come, sends the same input once more."""

    retried = 0

    async def _answers(self, mark: int, timeout: float = 10) -> list[str]:
        try:
            return await super()._answers(mark, ANSWER_WITHIN)
        except TimeoutError:
            self.retried += 1
            last = max(u for u, raw in self.api.updates.items() if _chat(raw) == self.chat_id)
            again = copy.deepcopy(self.api.updates[last])
            if isinstance(query := again.get("callback_query"), dict):
                query["id"] = f"{query['id']}-again"  # a new press of the same button
            self.api.push_update(again)
            return await super()._answers(mark, 20)


def _chat(raw: dict[str, object]) -> int | None:
    for kind in ("message", "callback_query"):
        event = raw.get(kind)
        if isinstance(event, dict):
            chat = (event.get("message") or event).get("chat") or {}
            return chat.get("id") if isinstance(chat, dict) else None
    return None


async def test_a_replica_killed_mid_run_loses_and_duplicates_nothing(
    api: BotAPIStandIn, tmp_path: Path, running: list[Process]
) -> None:
    haproxy_or_skip()
    async with postgres_database() as url:
        replicas = [Replica(free_port(), free_port()) for _ in range(2)]
        processes = []
        for i, replica in enumerate(replicas):
            process = Process(
                tmp_path, replica_config(tmp_path, url, api, replica, SECRET), f"r{i}.txt"
            )
            running.append(process)
            process.start()
            await process.wait_for("Telegram: webhook", timeout=60)  # the first makes the keys
            processes.append(process)
        front = free_port()
        proxy = HAProxy(tmp_path, haproxy_config(front, replicas, HOOK))
        proxy.start()
        deliverer = Deliverer(api, f"http://127.0.0.1:{front}{HOOK}", SECRET)
        try:
            await wait_until_up(f"http://127.0.0.1:{front}/healthz")
            await _web_chat_on_either_replica(f"http://127.0.0.1:{front}", proxy)
            deliverer.start()
            students = [Patient(api, 9000 + i) for i in range(STUDENTS)]

            async def kill_mid_run() -> None:
                """SIGKILL replica 0 once 20 updates went through, at a moment when
                deliveries are in flight (some of them on the replica that dies)."""
                while len(deliverer.delivered) < 20 or deliverer.in_flight < 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.001)
                processes[0].kill()

            async def walk(student: Patient) -> None:
                await student.say("/start")
                await student.press("no")
                await student.press("interview")
                await student.say("Ze zeiden dat mijn hoofddoek niet paste.")
                await student.press("done")
                await student.press("religion")
                await student.press("next")
                await student.press("month")
                await student.press("hhs")
                await student.press("skip")  # the workplace
                await student.press("skip")  # the sector
                await student.press("no")
                await student.press("talk")
                await student.press("school")
                await student.press("submit")
                await student.press("receipt.saved")

            await asyncio.wait_for(
                asyncio.gather(kill_mid_run(), *(walk(s) for s in students)), 240
            )
        finally:
            await deliverer.stop()
            proxy.stop()
            for process in processes:
                if process.running():
                    process.stop()
        assert not processes[0].running()
        served = proxy.served_by("webhook")
        print("served by", dict(served), "deliveries retried", dict(deliverer.retries))
        print("students retried", [s.retried for s in students])
        assert served["r0"] > 0 and served["r1"] > served["r0"]  # spread, then one left
        assert [s.retried for s in students if s.retried > 1] == []
        reports, handled = await _counts(url)
    assert reports == STUDENTS  # each filed once: nothing lost, nothing twice
    assert handled == len(set(deliverer.delivered))  # each delivered update handled once
    assert api.violations == []


async def _web_chat_on_either_replica(url: str, proxy: HAProxy) -> None:
    """The web chat through the proxy (WebSocket upgrade included): each connection of one
    browser session may land on another replica and goes on where the last one was."""
    session_id = await new_session(url)
    async with chat(url, session_id) as client:
        first = await client.until("turn")
    async with chat(url, session_id) as client:  # round robin: the other replica
        await client.until("turn")
        phase = await client.press(*buttons(first)["Nee"])
        assert keys(phase) == ["ask_phase"]
    async with chat(url, session_id) as client:
        await client.until("turn")
        story = await client.press(*buttons(phase)["Tijdens mijn stage"])
        assert keys(story)[-1:] and story["replies"]
    assert set(proxy.served_by("web")) == {"r0", "r1"}


async def _counts(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        reports = await conn.fetchval("SELECT count(*) FROM reports")
        handled = await conn.fetchval("SELECT count(*) FROM processed_updates")
        return int(reports), int(handled)
    finally:
        await conn.close()
