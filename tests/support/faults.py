"""Helpers for the fault tests: a student who copes with a flaky bot, and the checks that
no report was lost, doubled or left without a receipt.

The receipt code is shown *before* filing: the student saves it and presses
"I have saved it"; only that files the report. So the invariant is: each chat was shown
exactly one code, confirmed it, and that code opens exactly one report.

A `Wanderer` does not follow a script: at each step it looks at the chat as a person
would (the latest message with buttons, or none) and answers that. After a crash it may
press an old button or repeat itself; the bot must bring it back on track. It waits a
bounded time for an answer and then acts again, as a student who got no reply would.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from standins import BotAPIStandIn
from storage.crypto.keys import KeyStore
from storage.crypto.receipt_keys import derive_receipt_keys
from storage.db.engine import make_engine, session_factory
from storage.db.models import Report
from storage.repositories.reports import ReportStore
from tests.support.harness import RECEIPT, keyboard_of, values_of
from tests.support.storage_helpers import status

STORY = "Bij het gesprek vroegen ze of ik mijn hoofddoek af zou doen."
# What this student answers to a question, recognised by one of its button values.
ANSWERS = (
    ("privacy", "no"),  # the safety question (its welcome row carries "privacy")
    ("resume.continue", "resume.continue"),
    ("go.report", "go.report"),
    ("looking", "interview"),
    ("done", "done"),
    ("week", "month"),
    ("hhs", "hhs"),
    ("skip", "skip"),
    ("talk", "talk"),
    ("school", "school"),
    ("submit", "submit"),
    ("receipt.saved", "receipt.saved"),  # the code on screen: "I have saved it"
    ("yes", "no"),  # witnesses or evidence
)
# the "filed" message (it names no reference: nothing to mistake for the code)
FILED = re.compile(r"Je melding is verstuurd|Your report has been sent")


class ChatWatch:
    """Per-chat counts of the bot's messages and the time of the last one, kept up to date
    incrementally (scanning every call for every waiting student would eat the CPU the
    service under test needs)."""

    def __init__(self, api: BotAPIStandIn) -> None:
        self.api = api
        self.seen = 0
        self.count: dict[int, int] = {}
        self.last: dict[int, float] = {}

    def update(self) -> None:
        calls = self.api.calls
        for call in calls[self.seen :]:
            if call.chat_id is not None and call.method != "getUpdates":
                chat = int(call.chat_id)
                self.count[chat] = self.count.get(chat, 0) + 1
                self.last[chat] = call.at
        self.seen = len(calls)


@dataclass
class Wanderer:
    api: BotAPIStandIn
    watch: ChatWatch
    chat_id: int
    rng: random.Random
    patience: float = 4.0  # seconds without any answer before acting again
    start_within: float = 1.0  # students do not start in step
    inputs: int = 0
    receipts: set[str] = field(default_factory=set)  # every code shown
    confirmed: set[str] = field(default_factory=set)  # codes "saved" with the button
    filed: bool = False  # the "filed" message arrived, or a crash ate it (see `act`)

    @property
    def finished(self) -> bool:
        return self.filed

    def look(self) -> None:
        for text in self.api.texts_to(self.chat_id):
            if m := RECEIPT.search(text):
                self.receipts.add("".join(m.groups()))
            if self.confirmed and FILED.search(text) and not RECEIPT.search(text):
                self.filed = True

    def act(self) -> None:
        self.inputs += 1
        message = self._latest_with_buttons()
        if self.confirmed and (message is None or "go.report" in values_of(message)):
            # "I have saved it" was pressed and handled (its keyboard is gone, which the
            # bot does only after the commit; or the button is stale because nothing is
            # stored): the report was filed and a crash ate the "filed" message. The
            # student has the code; a real one would check it with /status.
            self.filed = True
            return
        if message is None:
            if not self.api.texts_to(self.chat_id):
                self.api.push_text(self.chat_id, "/start")
            else:
                self.api.push_text(self.chat_id, STORY)  # the story question has no buttons
            return
        buttons = keyboard_of(message)
        values = {_value(b): b for b in buttons}
        value = self._choose(values)
        if value is None:  # a question this student has no answer for: start over
            self.api.push_text(self.chat_id, "/start")
            return
        if value == "receipt.saved":
            m = RECEIPT.search(str(message.get("text", "")))
            assert m, "the confirm button comes with the code"
            self.confirmed.add("".join(m.groups()))
        self.api.push_callback(
            self.chat_id, values[value]["callback_data"], message_id=message["message_id"]
        )

    def _choose(self, values: dict[str, dict[str, Any]]) -> str | None:
        if "religion" in values:
            picked = values["religion"]["text"].startswith("✓")
            return "next" if picked else "religion"
        return next((answer for key, answer in ANSWERS if key in values), None)

    def _latest_with_buttons(self) -> dict[str, Any] | None:
        for message in reversed(self.api.bot_messages(self.chat_id)):
            if keyboard_of(message):
                return message  # type: ignore[no-any-return]
        return None

    async def answered(self, before: int, quiet: float = 0.3) -> bool:
        """Until the bot said something since `before` and then kept quiet for `quiet` s;
        False after `patience` seconds of nothing."""
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            self.watch.update()
            if self.watch.count.get(self.chat_id, 0) > before:
                if time.monotonic() - self.watch.last[self.chat_id] >= quiet:
                    return True
                deadline = max(deadline, time.monotonic() + quiet)
        return False

    async def run(self, timeout: float) -> None:
        """Acts until a receipt is on screen, or fails after `timeout` seconds."""
        end = time.monotonic() + timeout
        await asyncio.sleep(self.rng.uniform(0, self.start_within))
        while True:
            self.look()
            if self.finished:
                return
            assert time.monotonic() < end, f"chat {self.chat_id} never got a receipt"
            self.watch.update()
            before = self.watch.count.get(self.chat_id, 0)
            self.act()
            await self.answered(before)
            await asyncio.sleep(self.rng.uniform(0, 0.3))  # reading, thinking


def _value(button: dict[str, Any]) -> str:
    return str(button["callback_data"]).split(":", 2)[2]


async def check_reports(
    workdir: Path,
    database_url: str,
    shown: dict[int, set[str]],
    confirmed: dict[int, set[str]] | None = None,
) -> int:
    """Each chat saw exactly one receipt (and, when `confirmed` is given, confirmed that
    code and no other); each receipt opens exactly one stored report; and there is no
    other report. Returns the number of reports."""
    doubled = {chat: codes for chat, codes in shown.items() if len(codes) != 1}
    assert not doubled, f"chats shown other than one receipt: {doubled}"
    if confirmed is not None:
        wrong = {chat: c for chat, c in confirmed.items() if c != shown[chat]}
        assert not wrong, f"chats that confirmed other than the code shown: {wrong}"
    codes = {next(iter(c)) for c in shown.values()}
    assert len(codes) == len(shown)
    keys = KeyStore.load(workdir / "var" / "keys")
    engine = make_engine(database_url)
    try:
        sessions = session_factory(engine)
        reports = ReportStore(sessions, keys)
        async with sessions() as session:
            total = await session.scalar(select(func.count()).select_from(Report))
            for code in codes:
                derived = await asyncio.to_thread(
                    derive_receipt_keys, code, keys.receipt_salt, keys.kdf
                )
                n = await session.scalar(
                    select(func.count())
                    .select_from(Report)
                    .where(Report.receipt_lookup == derived.lookup)
                )
                assert n == 1, f"a receipt shown opens {n} reports"
        for code in codes:
            assert await status(reports, code) is not None  # and it really opens it
    finally:
        await engine.dispose()
    assert total == len(codes), f"{total} reports stored, {len(codes)} receipts shown"
    return int(total)
