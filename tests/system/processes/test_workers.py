"""`stagemeld run --workers 2`: two processes on one machine, one port.

The supervisor starts two workers sharing the web and webhook ports (SO_REUSEPORT) on
one PostgreSQL database; Telegram (the `Deliverer`) posts to the one webhook port. A
student files a report while one worker is killed: the supervisor starts it again, the
student finishes, and SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from standins import BotAPIStandIn
from tests.support.harness import TOKEN, Student, file_report, free_port, stagemeld
from tests.support.proxy_harness import HOOK, Deliverer, Replica, replica_config, wait_until_up
from tests.support.storage_backends import postgres_database

SECRET = "workers-webhook-secret-0123456789"


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


@pytest.fixture
def supervisors() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            for child in children(proc.pid):
                os.kill(child, signal.SIGKILL)
            proc.kill()
            proc.wait(10)


async def _until(condition: object, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreading and /proc")
async def test_two_workers_share_the_ports_and_a_dead_one_is_started_again(
    tmp_path: Path, supervisors: list[subprocess.Popen[bytes]]
) -> None:
    async with BotAPIStandIn(TOKEN) as api, postgres_database() as url:
        replica = Replica(free_port(), free_port())
        config = replica_config(tmp_path, url, api, replica, SECRET)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEMELD_")}
        with (tmp_path / "out.txt").open("ab") as out:
            command = [*stagemeld(), "--config", str(config), "run", "--workers", "2"]
            proc = subprocess.Popen(  # noqa: ASYNC220 (a child that outlives this call)
                command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        supervisors.append(proc)
        await _until(lambda: len(children(proc.pid)) == 2)
        await wait_until_up(f"http://127.0.0.1:{replica.web_port}/healthz", timeout=60)
        first = children(proc.pid)
        deliverer = Deliverer(api, f"http://127.0.0.1:{replica.webhook_port}{HOOK}", SECRET)
        deliverer.start()
        try:
            student = Student(api, 4242)
            await student.say("/start")
            os.kill(min(first), signal.SIGKILL)  # one worker dies mid-conversation
            await _until(lambda: len(children(proc.pid) - first) == 1)  # started again
            await _until(lambda: len(children(proc.pid)) == 2)
            student = Student(api, 4343)  # a whole report across the two
            receipt = await file_report(student)
        finally:
            await deliverer.stop()
        assert len(receipt) == 16
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(40) == 0, (tmp_path / "out.txt").read_text()
        assert children(proc.pid) == set()
        assert api.violations == []
