"""A disk copy learns no time of a student's act finer than the hour, from any file the
service writes, and every such file is the service's alone; per-address bounds count
an IPv6 home connection (its /64) as one address.

Each test plays the attacker: it reads what a seized `var/` shows (log lines, files'
times and modes) or guesses from many addresses of one /64. Each fails on the code
before these measures.
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
from bot.channels.http.clients import ClientAddress
from bot.intake.guessing import GuessLimits, Refused
from bot.intake.student_log import ACTS, FILED
from escalation.console.throttle import LoginThrottle, Throttled
from standins import BotAPIStandIn
from storage.crypto import audit_anchor
from storage.crypto.draft_keys import DraftKeys
from storage.crypto.files import HOUR_NS
from storage.crypto.server_key import ServerKey
from tests.harness import TOKEN, RunningService, Student, cli, file_report
from vocabulary.addresses import bound_key

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


def test_the_audit_anchor_and_its_directory_carry_only_the_hour(tmp_path: Path) -> None:
    """Every audit append rewrites the anchor: its time would be the newest act's."""
    server = ServerKey(b"k" * 32, audit_anchor=tmp_path / "audit.head")
    audit_anchor.write(server, 1, b"m" * 32)
    audit_anchor.write(server, 2, b"n" * 32)
    assert audit_anchor.read(server) == audit_anchor.Anchor(2, b"n" * 32)
    assert _on_the_hour(tmp_path / "audit.head")
    assert _on_the_hour(tmp_path)


def test_a_draft_key_written_now_is_not_swept_as_old(tmp_path: Path) -> None:
    """Its mtime says the hour; the sweep's age comes from the change time."""
    drafts = DraftKeys(tmp_path)
    drafts.create("a" * 64)
    assert _on_the_hour(tmp_path / "drafts" / ("a" * 64))
    assert drafts.sweep([], min_age=60.0) == 0
    assert drafts.sweep([], min_age=0.0) == 1
    assert _on_the_hour(tmp_path / "drafts")


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


def test_the_command_line_makes_private_files_whatever_the_umask(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    make_settings()
    old = os.umask(0o022)
    try:
        done = cli(tmp_path / "config.yaml", "audit", "verify")
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "stagemeld.db").exists()
    assert _modes(tmp_path / "var") == {}


ONE_HOME = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:aa::5"]


def test_one_ipv6_home_connection_is_one_address_for_receipt_guessing() -> None:
    limits = GuessLimits(per_client=2, overall=1000, clock=lambda: 0.0)
    claims = [limits.claim(address) for address in ONE_HOME]
    assert isinstance(claims[-1], Refused) and claims[-1].why == "client"
    assert not isinstance(limits.claim("2001:db8:1:3::1"), Refused)  # the next /64


def test_one_ipv6_home_connection_is_one_source_for_console_logins() -> None:
    throttle = LoginThrottle(per_pair=5, per_source=2, window=timedelta(minutes=15))
    now = datetime(2026, 12, 8, tzinfo=UTC)
    tries = [throttle.claim(f"a{n}@school.nl", a, now) for n, a in enumerate(ONE_HOME)]
    assert isinstance(tries[-1], Throttled)


def test_addresses_are_counted_by_ipv4_or_ipv6_slash_64() -> None:
    assert bound_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert bound_key("2001:DB8:1:2::9%eth0") == "2001:db8:1:2::/64"
    assert bound_key("::ffff:192.0.2.7") == "192.0.2.7"  # a dual-stack socket's IPv4 peer
    assert bound_key(" 192.0.2.7 ") == "192.0.2.7"
    assert bound_key("testclient") == "testclient"
    assert bound_key("") == ""


def test_a_proxy_on_a_dual_stack_socket_is_still_trusted() -> None:
    """`::ffff:127.0.0.1` is the loopback proxy: its X-Forwarded-For names the client."""
    clients = ClientAddress(["127.0.0.1"])
    hops = {"x-forwarded-for": "203.0.113.9"}
    assert clients.of("::ffff:127.0.0.1", hops) == "203.0.113.9"
    assert clients.of("::ffff:203.0.113.5", hops) == "::ffff:203.0.113.5"
    assert bound_key(clients.of("::ffff:203.0.113.5", hops)) == "203.0.113.5"
