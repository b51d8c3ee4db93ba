"""The service as an operator runs it: a real process, started from the command line.

- `stagemeld run` on the shipped config in an empty directory creates what it needs and
  says how to talk to it (what `make run` does on a fresh clone);
- killed with SIGKILL mid-conversation and started again, it lets the student go on
  where they were;
- in webhook mode, a call without the secret token is refused and changes nothing, and
  the same update posted twice is handled once.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from standins import BotAPIStandIn
from tests.conftest import ROOT, base_config, save_config
from tests.support.harness import TOKEN, Process, Student, free_port

CHAT = 777


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copy(ROOT / "network.yaml", tmp_path / "network.yaml")
    return tmp_path


async def test_run_on_a_fresh_directory_creates_what_it_needs(workdir: Path) -> None:
    process = Process(workdir, workdir / "config.yaml")
    process.start()
    try:
        await process.wait_for("stagemeld chat")
    finally:
        code = process.stop()
    out = process.output()
    assert code == 0, out
    assert (workdir / "var" / "stagemeld.db").exists()
    assert {p.name for p in (workdir / "var" / "keys").iterdir()} >= {"server.key", "recovery.pub"}
    assert oct((workdir / "var" / "keys" / "server.key").stat().st_mode)[-3:] == "600"
    log = (workdir / "var" / "log" / "stagemeld.log").read_text(encoding="utf-8")
    assert "stagemeld is running" in log
    # stdout is a file here, not a terminal, so the recovery private
    # key is in neither stdout nor the log but in a new 0600 file the log names.
    assert "stagemeld-recovery-key-v1" not in log
    assert "stagemeld-recovery-key-v1" not in out
    handed = workdir / "var" / "RECOVERY-KEY-move-offline.txt"
    assert oct(handed.stat().st_mode)[-3:] == "600"
    assert "stagemeld-recovery-key-v1" in handed.read_text(encoding="utf-8")
    assert str(handed) in log and "offline" in log


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin
    assert standin.violations == [], standin.violations


def write_config(workdir: Path, telegram: dict[str, object]) -> Path:
    data = base_config(workdir)
    data["telegram"] = {"token": TOKEN, **telegram}
    path = workdir / "test-config.yaml"
    save_config(path, data)
    return path


@pytest.fixture
def running(workdir: Path) -> Iterator[list[Process]]:
    processes: list[Process] = []
    yield processes
    for process in processes:
        if process.proc is not None and process.proc.poll() is None:
            process.kill()


async def test_sigkill_mid_conversation_then_restart_resumes(
    api: BotAPIStandIn, workdir: Path, running: list[Process]
) -> None:
    config = write_config(workdir, {"api_base": api.base_url, "polling_timeout": 1})
    student = Student(api, CHAT)
    first = Process(workdir, config)
    running.append(first)
    first.start()
    await first.wait_for("Telegram: polling")
    await student.say("/start")
    await student.press("no")
    await student.press("looking")
    first.kill()

    # Its own output file: waiting for "Telegram: polling" must not find the first's line.
    second = Process(workdir, config, out="stdout-2.txt")
    running.append(second)
    second.start()
    await second.wait_for("Telegram: polling")
    await student.say("Ze namen iemand anders aan zodra ze mijn achternaam zagen.")
    assert "done" in student.offered()  # the story step: the answers so far survived
    await student.press("done")
    assert "origin" in student.offered()
    assert second.stop() == 0


async def start_webhook(
    api: BotAPIStandIn, workdir: Path, running: list[Process], secret: str
) -> tuple[Process, str]:
    """The real service in webhook mode on a free loopback port; returns it and its URL."""
    port = free_port()
    config = write_config(
        workdir,
        {
            "api_base": api.base_url,
            "mode": "webhook",
            "webhook_url": "https://bot.example.nl/telegram/webhook",
            "webhook_secret": secret,
            "webhook_host": "127.0.0.1",
            "webhook_port": port,
        },
    )
    process = Process(workdir, config)
    running.append(process)
    process.start()
    await process.wait_for("Telegram: webhook")
    return process, f"http://127.0.0.1:{port}/telegram/webhook"


async def test_webhook_checks_the_secret_and_handles_an_update_once(
    api: BotAPIStandIn, workdir: Path, running: list[Process]
) -> None:
    secret = "s3cret-token-for-tests-0123456789"
    process, url = await start_webhook(api, workdir, running, secret)
    assert api.webhook["url"] == "https://bot.example.nl/telegram/webhook"

    update_id = api.push_text(CHAT, "/privacy")  # one message in answer
    assert await api.post_update_to(url, update_id) == 401
    assert await api.post_update_to(url, update_id, secret="wrong-" + secret) == 401
    await asyncio.sleep(0.5)
    assert api.texts_to(CHAT) == []  # nothing processed

    assert await api.post_update_to(url, update_id, secret=secret) == 200
    await api.wait_for_texts(CHAT, 1, timeout=10)
    assert await api.post_update_to(url, update_id, secret=secret) == 200
    await asyncio.sleep(0.5)
    assert len(api.texts_to(CHAT)) == 1  # the duplicate was not handled again
    assert process.stop() == 0


def rows(workdir: Path, table: str) -> int:
    with sqlite3.connect(workdir / "var" / "stagemeld.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def test_webhook_refusals_leave_no_trace_and_a_racing_duplicate_runs_once(
    api: BotAPIStandIn, workdir: Path, running: list[Process]
) -> None:
    """Beyond the test above: a refused call must not even be remembered as seen (else the
    genuine delivery would be dropped), nor start a conversation; and two deliveries of one
    update at the same instant (Telegram retrying a slow answer) still run once."""
    secret = "An0ther-secret_for-tests-0123456789"
    process, url = await start_webhook(api, workdir, running, secret)

    update_id = api.push_text(CHAT, "/start")
    for wrong in ("", secret.lower(), secret + "x", secret[:-1]):
        assert await api.post_update_to(url, update_id, secret=wrong) == 401
    await asyncio.sleep(0.5)
    assert api.texts_to(CHAT) == []
    assert rows(workdir, "processed_updates") == 0
    assert rows(workdir, "conversations") == 0

    statuses = await asyncio.gather(
        *(api.post_update_to(url, update_id, secret=secret) for _ in range(3))
    )
    assert statuses == [200, 200, 200]
    await api.wait_for_texts(CHAT, 1, timeout=10)
    await asyncio.sleep(1.0)
    assert len(api.texts_to(CHAT)) == 1  # one welcome, not three
    assert rows(workdir, "processed_updates") == 1
    assert rows(workdir, "conversations") == 1
    assert process.stop() == 0


async def test_a_clean_stop_logs_no_network_retry_warning(
    api: BotAPIStandIn, workdir: Path, running: list[Process]
) -> None:
    """SIGTERM while a long poll is open must not log "TelegramNetworkError … retry"
    (operators alert on warnings at every deploy)."""
    config = write_config(workdir, {"api_base": api.base_url, "polling_timeout": 5})
    process = Process(workdir, config)
    running.append(process)
    process.start()
    await process.wait_for("Telegram: polling")
    await api.wait_for_calls(lambda c: c.method.lower() == "getupdates", timeout=20)
    await asyncio.sleep(0.5)  # a long poll is open now
    assert process.stop() == 0
    out = process.output()
    log = (workdir / "var" / "log" / "stagemeld.log").read_text(encoding="utf-8")
    assert "stopped" in log, out
    for text in (log, out):
        assert "TelegramNetworkError" not in text, text
        assert "retry" not in text.lower(), text
        assert "WARNING" not in text.split("Telegram: polling", 1)[-1], text
