"""Database faults under load: the service keeps running, tells the students it could
not serve to try again in a moment, and loses no report it said was filed.

- PostgreSQL "restarted": a loopback TCP proxy between the service and the shared server
  on 127.0.0.1:5432 cuts every connection and refuses new ones for a while — the shared
  server itself is never touched (other projects use it). Skipped when it is absent.
- SQLite "database is locked": another process holds the write lock past busy_timeout.
- A full disk: SQLite's `max_page_count` pinned to the file's size, so no page can be
  added (the same SQLITE_FULL a full disk gives).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool

from bot.app.settings import Settings
from standins import BotAPIStandIn
from storage.repositories.reports import ReportStore
from tests.support.faults import ChatWatch, Wanderer, check_reports
from tests.support.harness import FILED, RECEIPT, TOKEN, RunningService, Student, V
from tests.support.storage_backends import postgres_database

TRY_AGAIN = "momentje"  # nl error_try_again: "Probeer het over een momentje opnieuw."


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin
    assert standin.violations == [], standin.violations


def telegram(api: BotAPIStandIn) -> dict[str, Any]:
    return {"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}


class CuttableProxy:
    """127.0.0.1:<port> → `upstream`; `cut()` drops every connection and refuses new ones
    until `restore()`, the way a database restart looks from the client."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.down = False
        self.pipes: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> CuttableProxy:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        assert self.server is not None
        self.server.close()

    def cut(self) -> None:
        self.down = True
        for writer in list(self.pipes):
            writer.transport.abort()
        self.pipes.clear()

    def restore(self) -> None:
        self.down = False

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self.pipes |= {writer, up_writer}
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self.pipes.discard(writer)
            writer.transport.abort()


@pytest.mark.postgres
async def test_postgresql_restarted_under_load(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    async with postgres_database() as url, CuttableProxy(5432) as proxy:
        via_proxy = make_url(url).set(port=proxy.port).render_as_string(hide_password=False)
        settings = make_settings(telegram=telegram(api), database={"url": via_proxy})
        watch = ChatWatch(api)
        rng = random.Random(3)
        students = [
            Wanderer(api, watch, 3000 + i, random.Random(rng.getrandbits(32))) for i in range(6)
        ]
        async with RunningService(settings, api) as service:
            walking = asyncio.gather(*(s.run(timeout=90) for s in students))
            for pause, outage in ((1.5, 2.0), (1.0, 3.0)):
                await asyncio.sleep(pause)
                proxy.cut()
                await asyncio.sleep(outage)
                proxy.restore()
            await asyncio.wait_for(walking, 120)
            assert service.task is not None and not service.task.done()  # never restarted
        told = [s.chat_id for s in students if any(TRY_AGAIN in t for t in api.texts_to(s.chat_id))]
        assert told, "nobody was caught by the outage: the test proved nothing"
        shown = {s.chat_id: s.receipts for s in students}
        assert await check_reports(tmp_path, url, shown) == len(students)


async def walk_to_summary(student: Student) -> None:
    await student.say("/start")
    await student.press("no")
    await student.press("during")
    await student.say("Mijn begeleider maakte grappen over mijn afkomst.")
    for value in (
        "done",
        "origin",
        "next",
        "week",
        "hhs",
        "skip",
        "skip",
        "no",
        "register",
        "school",
    ):
        await student.press(value)
    assert V["submit"] in student.offered()


async def test_sqlite_locked_by_another_process(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(telegram=telegram(api))
    student = Student(api, 3100)
    async with RunningService(settings, api):
        await walk_to_summary(student)
        shown = await student.press(V["submit"])  # the code first: nothing filed yet
        path = make_url(settings.database.url).database
        holder = sqlite3.connect(str(path), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held past busy_timeout (5 s)
        try:
            mark = api.mark(3100)
            api.push_callback(3100, _data(student, V["saved"]))
            texts = await api.wait_for_texts(3100, 1, since=mark, timeout=15)
            assert TRY_AGAIN in texts[-1]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await api.wait_idle(timeout=10)
        texts = await student.press(V["saved"])  # the code's screen is still there
        assert any(FILED in t for t in texts), texts
    codes = {c for t in shown + texts if (c := _code(t))}
    assert len(codes) == 1
    assert await check_reports(tmp_path, settings.database.url, {3100: codes}) == 1


@contextlib.contextmanager
def disk(full: list[bool]) -> Iterator[None]:
    """While `full[0]`, every connection handed out may not grow the file by a page."""

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        if full[0]:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count={int(pages)}")
        else:
            cursor.execute("PRAGMA max_page_count=1073741823")
        cursor.close()

    event.listen(Pool, "checkout", on_checkout)
    try:
        yield
    finally:
        event.remove(Pool, "checkout", on_checkout)


async def test_sqlite_on_a_full_disk(
    api: BotAPIStandIn, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(telegram=telegram(api))
    student = Student(api, 3200)
    full = [False]
    with disk(full):
        async with RunningService(settings, api):
            await student.say("/start")
            await student.press("no")
            await student.press("during")
            await api.wait_idle(timeout=10)
            with sqlite3.connect(str(make_url(settings.database.url).database)) as db:
                db.execute("VACUUM")  # no free pages left inside the file to grow into
            full[0] = True  # the story comes in long messages: the file must grow
            answers = [t for _ in range(4) for t in await student.say("Het begon zo. " * 140)]
            assert any(TRY_AGAIN in t for t in answers), answers
            full[0] = False
            await student.say("En toen zei hij het nog een keer.")
            for value in (
                "done",
                "origin",
                "next",
                "week",
                "hhs",
                "skip",
                "skip",
                "no",
                "register",
            ):
                await student.press(value)
            await student.press("school")
            texts = await student.press(V["submit"])
            filed = await student.press(V["saved"])
            assert any(FILED in t for t in filed), filed
    codes = {c for t in texts if (c := _code(t))}
    assert len(codes) == 1
    assert await check_reports(tmp_path, settings.database.url, {3200: codes}) == 1


def _data(student: Student, value: str) -> str:
    message = student.latest_with_buttons()
    assert message is not None
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["callback_data"].endswith(f":{value}"):
                return str(button["callback_data"])
    raise AssertionError(f"no {value} button")


def _code(text: str) -> str | None:
    m = RECEIPT.search(text)
    return "".join(m.groups()) if m else None


async def test_a_commit_that_went_through_unseen_files_once(
    api: BotAPIStandIn,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The connection dies as the server commits: the service sees an error, yet the
    report is stored (and its conversation deleted with it). The student, who saved the
    code before confirming, is asked to try again — and trying again files nothing more:
    nothing of the conversation is left, so the button is stale."""
    settings = make_settings(telegram=telegram(api))
    student = Student(api, 3300)
    real_file = ReportStore.file

    async def file_then_lose_the_answer(self: ReportStore, *args: Any, **kwargs: Any) -> Any:
        await real_file(self, *args, **kwargs)
        monkeypatch.setattr(ReportStore, "file", real_file)
        raise ConnectionResetError("connection lost while committing")

    async with RunningService(settings, api):
        await walk_to_summary(student)
        shown = await student.press(V["submit"])
        monkeypatch.setattr(ReportStore, "file", file_then_lose_the_answer)
        texts = await student.press(V["saved"])
        assert TRY_AGAIN in texts[0]
        assert {c for t in texts if (c := _code(t))} <= {c for t in shown if (c := _code(t))}
        again = await student.press(V["saved"])  # as asked
        assert not any(_code(t) for t in again) and not any(FILED in t for t in again)
    codes = {c for t in shown if (c := _code(t))}
    assert len(codes) == 1, shown
    assert await check_reports(tmp_path, settings.database.url, {3300: codes}) == 1
