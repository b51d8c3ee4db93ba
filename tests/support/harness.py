"""Runs the real service in-process against the Bot API stand-in, and plays a student;
or runs `stagemeld` as an operator does, in a child process.

Buttons are pressed by their value (what the engine put in the callback data), not by
their label, so the tests do not break when a text is reworded. Tests share helpers
through this module and conftest.py, never by importing one another.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.app.container import Container
from bot.app.runtime import serve
from bot.app.settings import Settings
from bot.channels.telegram.callbacks import FlowButton
from standins import BotAPIStandIn

RECEIPT = re.compile(r"\b(\d{4}) (\d{4}) (\d{4}) (\d{4})\b")
TOKEN = "123456:TEST-token"  # the bot token every test's Bot API stand-in expects


class RunningService:
    """`async with RunningService(settings, api):` — the service polls the stand-in."""

    def __init__(self, settings: Settings, api: BotAPIStandIn) -> None:
        self.settings = settings
        self.api = api
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.containers: list[Container] = []  # the running service's, once built

    async def __aenter__(self) -> RunningService:
        self.task = asyncio.create_task(
            serve(self.settings, self.stop, built=self.containers.append)
        )
        polling = asyncio.create_task(
            self.api.wait_for_calls(lambda c: c.method.lower() == "getupdates", timeout=20)
        )
        await asyncio.wait({self.task, polling}, return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            polling.cancel()
            self.task.result()  # start-up failed: raise its error here
        await polling
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 20)


def keyboard_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def values_of(message: dict[str, Any]) -> list[str]:
    return [FlowButton.unpack(b["callback_data"]).value for b in keyboard_of(message)]


class Student:
    """One student's chat with the bot."""

    def __init__(self, api: BotAPIStandIn, chat_id: int, language: str = "nl") -> None:
        self.api = api
        self.chat_id = chat_id
        self.language = language
        self.inputs = 0

    async def say(self, text: str) -> list[str]:
        mark = self.api.mark(self.chat_id)
        self.api.push_text(self.chat_id, text, language_code=self.language)
        self.inputs += 1
        return await self._answers(mark)

    async def _answers(self, mark: int, timeout: float = 10) -> list[str]:
        """Every input gets at least one reply; wait for it, then for the bot to settle."""
        await self.api.wait_for_texts(self.chat_id, 1, since=mark, timeout=timeout)
        await self.api.wait_idle(timeout=timeout)
        return self.api.texts_to(self.chat_id)[mark:]

    async def press(self, value: str, *, timeout: float = 10) -> list[str]:
        message = await self._offering(value, timeout)
        assert message is not None, "no message with buttons in this chat"
        data = next(
            (
                b["callback_data"]
                for b in keyboard_of(message)
                if FlowButton.unpack(b["callback_data"]).value == value
            ),
            None,
        )
        assert data is not None, f"no button {value!r}; on offer: {values_of(message)}"
        return await self.press_data(data, message_id=message["message_id"], timeout=timeout)

    async def press_data(
        self, data: str, *, message_id: int | None = None, timeout: float = 10
    ) -> list[str]:
        mark = self.api.mark(self.chat_id)
        self.api.push_callback(
            self.chat_id, data, message_id=message_id, language_code=self.language
        )
        self.inputs += 1
        return await self._answers(mark, timeout)

    async def _offering(self, value: str, timeout: float) -> dict[str, Any] | None:
        """The latest message with buttons, once it offers `value` or `timeout` passes: on a
        faulty line the question can arrive after the bot seemed to settle (a retried send)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = self.latest_with_buttons()
            done = message is not None and value in values_of(message)
            if done or asyncio.get_running_loop().time() > deadline:
                return message
            await asyncio.sleep(0.05)

    def latest_with_buttons(self) -> dict[str, Any] | None:
        for message in reversed(self.api.bot_messages(self.chat_id)):
            if keyboard_of(message):
                return message  # type: ignore[no-any-return]
        return None

    def offered(self) -> list[str]:
        message = self.latest_with_buttons()
        return values_of(message) if message else []


async def file_report(
    student: Student,
    story: str = "Ze zeiden dat mijn hoofddoek niet paste.",
    workplace: str = "",
    submit: str = "submit",
) -> str:
    """Walks the whole flow the shortest way; returns the receipt code (16 digits)."""
    await student.say("/start")
    await student.press(V["safety_no"])
    await student.press("interview")
    await student.say(story)
    await student.press("religion")  # asked with the story: its first tap ends the story
    await student.press(V["next"])
    await student.press("month")
    await student.press("hhs")
    if workplace:
        await student.say(workplace)
        await student.press(V["skip"])  # its town
        await student.press(V["skip"])  # its KvK number
        await student.press("no")  # no to matching (company patterns)
    else:
        await student.press(V["skip"])
    await student.press(V["skip"])  # the sector (optional)
    await student.press("no")
    await student.press("talk")
    await student.press("school")
    texts = await student.press(submit)
    codes = [m for t in texts if (m := RECEIPT.search(t))]
    assert codes, texts
    filed = await student.press(V["saved"])  # the code first, then "I have saved it"
    assert filed and student.offered() == ["erase", "keep"], filed  # filed: delete or keep
    assert not any("SM-" in t for t in filed)  # no reference to mistake for the code
    assert not any(RECEIPT.search(t) for t in filed)  # the code is shown once, before
    return "".join(codes[0].groups())


# How the "filed" message begins (Dutch): the report was filed (it names no reference).
FILED = "Je melding is verstuurd"

V = {
    "safety_no": "no",
    "story_done": "done",
    "next": "next",
    "skip": "skip",
    "submit": "submit",
    "erase": "erase",
    "saved": "receipt.saved",
}


def free_port() -> int:
    """A loopback port nobody listens on right now (for a server a test starts itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def grep_files(root: Path, needle: bytes) -> list[Path]:
    return [p for p in files_under(root) if needle in p.read_bytes()]


# --- the service as an operator runs it: `stagemeld ...` in a child process ---------------


def cli(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=config.parent,
        check=False,
    )


def stagemeld() -> list[str]:
    return [sys.executable, "-m", "bot.app.cli"]


class Process:
    """`stagemeld run` in a child process, its output collected in a file."""

    def __init__(self, cwd: Path, config: Path, out: str = "stdout.txt") -> None:
        self.cwd = cwd
        self.config = config
        self.out = cwd / out
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEMELD_")}
        with self.out.open("ab") as out:
            self.proc = subprocess.Popen(
                [*stagemeld(), "--config", str(self.config), "run", "--no-chat"],
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    async def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc is not None and self.proc.poll() is None, self.output()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} not in output:\n{self.output()}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 20) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
