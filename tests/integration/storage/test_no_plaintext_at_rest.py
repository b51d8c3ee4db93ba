"""The promise: a stolen disk, database or log reveals no report content and no chat id.

A report is filed through the real bot with a unique marker in its story and in the
workplace's name; then every file the service wrote (database, WAL, keys, logs) and
every column of every database row is searched for the marker, the receipt code and
the student's chat id.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.app.logs import setup_logging
from bot.app.settings import Settings
from standins import BotAPIStandIn
from standins.whatsapp import CloudAPIStandIn
from tests.support.harness import (
    TOKEN,
    RunningService,
    Student,
    file_report,
    files_under,
    grep_files,
)
from tests.support.whatsapp_harness import (
    RunningWhatsApp,
    WaStudent,
    file_report_wa,
    whatsapp_settings,
)

CHAT = 55512345


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    """Log as the real service does (file under var/log), at DEBUG to be thorough."""
    log_file = tmp_path / "var" / "log" / "stagemeld.log"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging("DEBUG", log_file)
    yield log_file
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def rows(db: Path) -> Iterator[tuple[str, object]]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    yield table, value


def contains(value: object, needle: str) -> bool:
    if isinstance(value, bytes):
        return needle.encode() in value
    return needle in str(value)


async def test_a_filed_report_leaves_nothing_readable(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], tmp_path: Path, logged: Path
) -> None:
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    marker = f"MARKER{uuid.uuid4().hex}"
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        code = await file_report(
            student,
            story=f"Bij de intake zei de manager iets over mijn naam. {marker}",
            workplace=f"Bedrijf {marker} BV",
        )
        await student.say("/status " + code)
    var = tmp_path / "var"
    written = files_under(var)
    assert any(p.name == "stagemeld.db" for p in written)
    assert logged.exists() and logged.stat().st_size > 0

    for needle in (marker, code, str(CHAT)):
        assert grep_files(var, needle.encode()) == [], needle
        found = [t for t, v in rows(var / "stagemeld.db") if contains(v, needle)]
        assert found == [], (needle, found)

    # The story did reach the database — encrypted: the report and its fields exist.
    tables = {t for t, _ in rows(var / "stagemeld.db")}
    assert {"reports", "report_fields", "sealed_keys"} <= tables


async def test_a_whatsapp_report_leaves_no_phone_number_anywhere(
    make_settings: Callable[..., Settings], tmp_path: Path, logged: Path
) -> None:
    """The webhook carries the student's number (from, wa_id, inside every wamid) and
    profile name: none of it may reach a file, a row or a log line, even with the push
    address sealed inside the report and a status check, a refused delivery and a
    failed-status resend on the way."""
    number = "31655501234"
    marker = f"MARKER{uuid.uuid4().hex}"
    async with CloudAPIStandIn() as wa:
        settings = whatsapp_settings(make_settings, wa, nudge_template="stagemeld_news")
        student = WaStudent(wa, number)
        async with RunningWhatsApp(settings):
            code = await file_report_wa(
                student, f"Bij de intake zei de manager iets. {marker}", submit="submit.push"
            )
            wa.fail_status_next(131000)
            await student.say("/help")
            await wa.deliver(wa.message(number, "text", {"body": "x"}), signature="sha256=00")
            await student.say("/status " + code)
        assert wa.violations == []
        wamids = [m["id"] for d in wa.record.deliveries for m in _messages(d.raw)]
    var = tmp_path / "var"
    assert logged.exists() and logged.stat().st_size > 0
    needles = [marker, code, number, number[2:], "Test Student", *wamids]
    written = {p: p.read_bytes() for p in files_under(var)}  # before sqlite touches them
    values = list(rows(var / "stagemeld.db"))
    for needle in needles:
        assert [p for p, data in written.items() if needle.encode() in data] == [], needle
        found = [t for t, v in values if contains(v, needle)]
        assert found == [], (needle, found)


def _messages(raw: bytes) -> list[dict[str, str]]:
    payload = json.loads(raw)
    value = payload["entry"][0]["changes"][0]["value"]
    return list(value.get("messages", []))
