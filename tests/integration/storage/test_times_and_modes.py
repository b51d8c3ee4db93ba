"""A disk copy learns no time of a student's act finer than the hour from any file the
running service writes, and every such file is the service's alone.

Each test plays the attacker: it files a report through the real bot and reads what a
seized `var/` shows (log lines, files' times and modes). Each fails on the code before
these measures (docs/security.md, "Less to see" and "Logs and notifications").
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.logs import setup_logging
from bot.app.settings import Settings
from bot.intake.student_log import ACTS, FILED
from standins import BotAPIStandIn
from storage.crypto.files import HOUR_NS
from tests.support.harness import TOKEN, RunningService, Student, file_report

CHAT = 55577788
# A log line's time finer than the hour: "12:34:56" or ",789" milliseconds.
FINE_TIME = re.compile(r"\d{2}:\d{2}:\d{2}|,\d{3}")


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    """Log as the service does by default (INFO, a file under var/log)."""
    log_file = tmp_path / "var" / "log" / "stagemeld.log"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging("INFO", log_file)
    yield log_file
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


async def _filed(api: BotAPIStandIn, settings: Settings) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        code = await file_report(student)
        await student.say("/status " + code)


def _on_the_hour(path: Path) -> bool:
    st = path.stat()
    return st.st_mtime_ns % HOUR_NS == 0 and st.st_atime_ns % HOUR_NS == 0


def _tree(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


async def test_a_filing_leaves_no_timed_line_in_the_log(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], logged: Path
) -> None:
    ACTS.flush(datetime.now(UTC))  # another test's counts are not this one's
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    await _filed(api, settings)
    text = logged.read_text(encoding="utf-8")
    # The attacker looks for the filing (and the notice it causes, with its reference).
    assert "filed" not in text
    assert re.search(r"SM-\w{4}-\w{4}", text) is None
    # What the operator gets instead: the hour's count, dated by the clock's hour only.
    hour = datetime(2026, 12, 8, 15, tzinfo=UTC)
    line = ACTS.flush(hour)
    assert line == f"in the hour before 2026-12-08 15:00 UTC: {FILED}: 1"
    assert FINE_TIME.search(line) is None
    assert ACTS.flush(hour + timedelta(hours=1)) is None  # counted once


async def test_key_files_and_directories_carry_only_the_hour(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    await _filed(api, settings)
    keys = tmp_path / "var" / "keys"
    drafts = keys / "drafts"
    assert drafts.is_dir()
    seen = [keys, drafts]  # stated before anything here lists them (a listing is a read)
    late = [p.name for p in seen if not _on_the_hour(p)]
    files = list(drafts.iterdir())
    assert late + [p.name for p in files if not _on_the_hour(p)] == []


def _modes(root: Path) -> dict[str, str]:
    """Every path under root that is readable or writable by anyone but the owner."""
    return {
        str(p.relative_to(root.parent)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in _tree(root)
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    }


async def test_every_file_under_var_is_the_services_alone(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], tmp_path: Path, logged: Path
) -> None:
    var = tmp_path / "var"
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    old = os.umask(0o022)  # the usual shell's: files 0644, directories 0755
    try:
        student = Student(api, CHAT)
        async with RunningService(settings, api):
            await file_report(student)
            running = {p.name for p in _tree(var)}
            while_running = _modes(var)  # SQLite removes -wal and -shm at the last close
    finally:
        os.umask(old)
    assert {"stagemeld.db-wal", "stagemeld.db-shm", "stagemeld.log", "server.key"} <= running
    assert while_running == {}
    assert _modes(var) == {}
