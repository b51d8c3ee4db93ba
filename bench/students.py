"""Students as the load generator plays them, and what their turns measured.

A turn is one update: pushed to the stand-in (the moment it is available to the bot's
long poll) until the bot's answer to that chat arrives (the first sendMessage or
editMessageText after it). Every step of the journey gets exactly one such answer from
stagemeld (and from the echo bot), so the next step can be taken right after it.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.standin import BenchStandIn

STORY = "Ze zeiden dat mijn hoofddoek niet paste, en namen iemand anders aan."
RECEIPT = re.compile(r"\b(\d{4} \d{4} \d{4} \d{4})\b")
TURN_TIMEOUT = 180.0

# (action, value, tag): the shortest way from /start to the summary, as in the e2e tests.
DRAFT: tuple[tuple[str, str, str], ...] = (
    ("text", "/start", "turn"),
    ("press", "no", "turn"),
    ("press", "interview", "turn"),
    ("text", STORY, "turn"),
    ("press", "religion", "turn"),  # asked with "more, or done?": it ends the story
    ("press", "next", "turn"),
    ("press", "month", "turn"),
    ("press", "hhs", "turn"),
    ("press", "skip", "turn"),  # the workplace
    ("press", "skip", "turn"),  # the sector
    ("press", "no", "turn"),
    ("press", "talk", "turn"),
    ("press", "school", "turn"),
)
# ... then submit (Argon2id, seal, commit), and check the status with the receipt shown.
FULL = (*DRAFT, ("press", "submit", "submit"), ("status", "", "status"))

Chooser = Callable[[dict[str, Any], str], str | None]


def flow_button(message: dict[str, Any], value: str) -> str | None:
    """stagemeld's buttons carry FlowButton callback data ending in the value."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data", "")
            if data.rsplit(":", 1)[-1] == value:
                return str(data)
    return None


def any_button(message: dict[str, Any], value: str) -> str | None:
    """The echo bot offers one button; press it whatever the step."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            return str(button["callback_data"])
    return None


@dataclass
class Turn:
    tag: str  # turn | submit | status | probe
    pushed: float
    latency: float


@dataclass
class Record:
    turns: list[Turn] = field(default_factory=list)
    filed: list[float] = field(default_factory=list)  # when a receipt arrived
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Pacer:
    """At most `rate` updates a second over all students (None: as fast as answered).
    Each student takes a slot before its next update, so the offered load is capped while
    a slow bot still slows its students down (a closed loop with a ceiling)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._next = 0.0

    async def wait(self) -> None:
        if self.rate is None:
            return
        now = time.perf_counter()
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)


class Student:
    """One chat working through `steps`; `position` survives from one phase to the next."""

    def __init__(self, api: BenchStandIn, chat_id: int, steps: tuple[tuple[str, str, str], ...]):
        self.api = api
        self.chat_id = chat_id
        self.steps = steps
        self.position = 0
        self.last: dict[str, Any] | None = None  # the latest answer with buttons
        self.receipt: str | None = None
        self.failed = False
        self.expects_receipt = True  # False for the echo bot, which files nothing

    @property
    def finished(self) -> bool:
        return self.failed or self.position >= len(self.steps)

    async def step(self, record: Record, choose: Chooser) -> None:
        action, value, tag = self.steps[self.position]
        answer = self.api.expect(self.chat_id)
        pushed = time.perf_counter()
        if not self._push(action, value, choose):
            self.api.forget(self.chat_id)
            record.error(f"no button {value!r} on offer")
            self.failed = True
            return
        try:
            arrived, message = await asyncio.wait_for(answer, TURN_TIMEOUT)
        except asyncio.CancelledError:  # the phase ended mid-turn: this chat is done with
            self.api.forget(self.chat_id)
            self.failed = True
            raise
        except TimeoutError:
            record.error("no answer within the turn timeout")
            self.failed = True
            return
        record.turns.append(Turn(tag, pushed, arrived - pushed))
        if (message.get("reply_markup") or {}).get("inline_keyboard"):
            self.last = message
        if tag == "submit" and self.expects_receipt:
            found = RECEIPT.search(message.get("text", ""))
            if found is None:
                record.error("submit answered without a receipt")
                self.failed = True
                return
            self.receipt = found.group(1)
            record.filed.append(arrived)
        self.position += 1

    def _push(self, action: str, value: str, choose: Chooser) -> bool:
        if action == "text":
            self.api.push_text(self.chat_id, value)
        elif action == "status":
            self.api.push_text(self.chat_id, f"/status {self.receipt or '0000 0000 0000 0000'}")
        else:
            data = choose(self.last, value) if self.last is not None else None
            if data is None or self.last is None:
                return False
            self.api.push_callback(self.chat_id, data, message_id=self.last["message_id"])
        return True


class Crowd:
    """`size` concurrent conversations: each slot holds one student; a finished student is
    replaced by a new one in a fresh chat, so the number of live conversations stays put."""

    def __init__(self, api: BenchStandIn, size: int, choose: Chooser, first_chat: int = 1):
        self.api = api
        self.choose = choose
        self._ids: Iterator[int] = itertools.count(first_chat)
        self.receipts = choose is flow_button
        self.slots = [self._student(DRAFT) for _ in range(size)]

    def _student(self, steps: tuple[tuple[str, str, str], ...]) -> Student:
        student = Student(self.api, next(self._ids), steps)
        student.expects_receipt = self.receipts
        return student

    def set_journey(self, steps: tuple[tuple[str, str, str], ...]) -> None:
        """FULL extends DRAFT, so a student mid-draft simply carries on."""
        for student in self.slots:
            student.steps = steps

    async def run(
        self,
        record: Record,
        pacer: Pacer,
        *,
        seconds: float | None = None,
        steps_each: int | None = None,
        stop: asyncio.Event | None = None,
    ) -> float:
        """Until `seconds` pass, `stop` is set, or every slot has taken `steps_each`
        steps; returns the elapsed time. Turns still waiting at the end are not counted."""
        stop = stop or asyncio.Event()
        started = time.perf_counter()

        async def drive(index: int) -> None:
            taken = 0
            while not stop.is_set() and (steps_each is None or taken < steps_each):
                student = self.slots[index]
                if student.finished:
                    student = self.slots[index] = self._student(student.steps)
                await pacer.wait()
                if stop.is_set():
                    return
                await student.step(record, self.choose)
                taken += 1

        tasks = [asyncio.create_task(drive(i)) for i in range(len(self.slots))]
        if seconds is not None or steps_each is None:
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait([waiter], timeout=seconds)
            waiter.cancel()
            stop.set()
            pending = [t for t in tasks if not t.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        else:
            await asyncio.gather(*tasks)
        return time.perf_counter() - started
