"""One process's gate for turns that carry a receipt code: one at a time up to their
Argon2id derivation, the rest wait before they have done anything.

Why: a status check costs one Argon2id derivation (off the loop, on the kdf pool's
low-priority threads, storage/crypto/kdf_thread.py) *and* some 8-10 ms of event-loop work before
it gets there (middlewares, the update log, loading the conversation, the dialogue, a
claim commit). Twenty students sending `/status <code>` at the same moment arrive in one
Telegram batch; twenty tasks then did that loop work together and every other student's
turn queued behind ~150 ms of it (bench "status storm"). Behind this gate the checks do
that work one after the other, and other students' turns slip in between.

What is gated: from the update's arrival until the check hands its derivation to the
pool (`leave()`, called by bot/intake/student_actions.py just before), or until its turn ends
when it
never derives (a locked chat, a guessing bound). The derivations then queue in the pool
as before, with its priorities and its bound, and the next check does its loop work
while the previous one derives: the burst should take about as long as before (it was
serialised on the pool's one low-priority slot on two cores anyway). One at a time, not
one per core: the work gated is the event loop's, and a process has one loop; a second
check admitted would only put its steps in front of other students' turns again. Held
through the derivation instead, the gate would also serialise each check's database
writes and replies with the next one's derivation, and the burst would take longer
(docs/performance.md, "The receipt gate", has the runs).

"Carries a receipt code" is decided from the text alone (no database, no dialogue
state): its ASCII digits, after a leading `/command`, form a receipt
(`vocabulary.receipt`). That covers a bare code with any separators, `/status <code>`
and withdraw-by-code. Some other texts also have sixteen digits (a phone number and a
postcode, say): those just wait their turn here, which costs them a moment, never an
answer. Buttons and files are never gated.

Entered once per task: Telegram's middleware enters early (before the update log's
database read, so a waiting check does no database work), and `Turns.run` enters for
the other channels; a ContextVar holds the task's pass, so the two never both take a
slot (with one slot, the task would wait on itself for ever) and a slot is given back
once, by `leave()` or at the end, whichever comes first.

The waiting line is bounded by `status.max_queued_checks`: beyond it a check is not made
to wait, it goes on and is refused "busy, try again in a minute" where it would derive
(`refuse_low`). The gate also spreads out receipt guessing in one process;
docs/security.md says what it does and does not bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

from dialogues import Command, Input, Text
from storage.crypto.kdf_thread import refuse_low
from vocabulary import normalize_receipt

DEFAULT_SLOTS = 1
DEFAULT_MAX_WAITING = 20  # as status.max_queued_checks' default


def carries_receipt(text: str | None) -> bool:
    """True when the text's digits (after a leading `/command`) make a receipt code."""
    if not text:
        return False
    body = text.strip()
    if body.startswith("/"):  # "/status@SomeBot42 4821 ...": the bot's name is no code
        body = body.partition(" ")[2]
    digits = "".join(ch for ch in body if "0" <= ch <= "9")
    return normalize_receipt(digits) is not None


def input_text(inp: Input) -> str | None:
    """What a student typed, for `carries_receipt`; None for buttons, files and the like."""
    if isinstance(inp, Text):
        return inp.text
    if isinstance(inp, Command):
        return inp.arg
    return None


@dataclass
class _Pass:
    """This task went through `gate`; `holding`: it still has one of its slots."""

    gate: ReceiptGate
    holding: bool


_PASS: ContextVar[_Pass | None] = ContextVar("receipt_gate_pass", default=None)


class ReceiptGate:
    """At most `slots` receipt-carrying turns at once before their derivation, in this
    process; up to `max_waiting` wait in arrival order, more go on to be refused busy."""

    def __init__(self, slots: int = DEFAULT_SLOTS, max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self.slots = slots
        self.max_waiting = max_waiting
        self.waiting = 0  # tasks waiting for a slot now
        self.inside = 0  # tasks holding a slot now
        self.admitted = 0  # tasks let through so far (each once, however often it enters)
        self._semaphore = asyncio.Semaphore(slots)

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Wait for a slot, unless this task already went through this gate."""
        current = _PASS.get()
        if current is not None and current.gate is self:
            yield
            return
        if self.waiting >= self.max_waiting:
            async with self._refusing():
                yield
            return
        await self._wait()
        self.inside += 1
        self.admitted += 1
        ticket = _Pass(self, holding=True)
        token = _PASS.set(ticket)
        try:
            yield
        finally:
            _PASS.reset(token)
            self._give_back(ticket)

    @contextlib.asynccontextmanager
    async def admit_if(self, text: str | None) -> AsyncIterator[None]:
        """`admit()` for a text carrying a receipt code; anything else goes straight on."""
        if not carries_receipt(text):
            yield
            return
        async with self.admit():
            yield

    def leave(self) -> None:
        """The current task is about to wait for its derivation: its slot goes to the
        next check now. Nothing when the task holds none (not gated, or already left)."""
        current = _PASS.get()
        if current is not None and current.gate is self:
            self._give_back(current)

    @contextlib.asynccontextmanager
    async def _refusing(self) -> AsyncIterator[None]:
        """The line is full: no wait, and a derivation in this task is refused at once."""
        token = _PASS.set(_Pass(self, holding=False))
        try:
            with refuse_low():
                yield
        finally:
            _PASS.reset(token)

    async def _wait(self) -> None:
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1

    def _give_back(self, ticket: _Pass) -> None:
        if ticket.holding:
            ticket.holding = False
            self.inside -= 1
            self._semaphore.release()
