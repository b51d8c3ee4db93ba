"""The receipt gate (bot/intake/receipt_gate.py): turns carrying a receipt code go a few at a
time, everything else straight on, and a task is never made to wait on itself.

No timing: who is inside and who waits is read from the gate and from asyncio events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import wiring
from bot.app.container import Container, build_container
from bot.app.settings import Settings
from bot.intake.receipt_gate import ReceiptGate, carries_receipt, input_text
from dialogues import Attachment, Command, Press, Text
from storage.crypto.kdf_thread import KdfBusy, in_kdf_thread, low_priority
from vocabulary import RECEIPT_DIGITS

CODE = "4821 0937 5521 8804"


@pytest.mark.parametrize(
    "text",
    [
        CODE,
        "4821093755218804",
        "4821-0937-5521-8804",
        "4821.0937.5521.8804",
        "  4821 0937\t5521\u00a08804 ",
        f"/status {CODE}",
        f"/status@Stagemeld42Bot {CODE}",  # the bot's name has digits of its own
        f"/withdraw {CODE}",
        f"mijn code is {CODE}",  # the dialogue may refuse it; it waits its turn anyway
    ],
)
def test_texts_with_a_receipt_code_are_gated(text: str) -> None:
    assert carries_receipt(text)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "/status",
        "/status 1234",
        "Ik werk bij bakkerij 24 in 3511 AB",
        "4821 0937 5521 880",  # fifteen digits
        f"{CODE} 1",  # seventeen
        "١٢٣٤ ٥٦٧٨ ٩٠١٢ ٣٤٥٦",  # Arabic-Indic digits open nothing: not a receipt
    ],
)
def test_texts_without_a_receipt_code_are_not(text: str | None) -> None:
    assert not carries_receipt(text)


def test_the_detector_counts_the_vocabularys_digits() -> None:
    assert carries_receipt("7" * RECEIPT_DIGITS)
    assert not carries_receipt("7" * (RECEIPT_DIGITS - 1))


def test_what_a_student_typed_is_read_from_text_and_command_only() -> None:
    assert input_text(Text(CODE)) == CODE
    assert input_text(Command("status", CODE)) == CODE
    assert input_text(Press(turn=1, value="x")) is None
    assert input_text(Attachment(kind="photo", ref="r", name="n", size=1)) is None


async def _until(condition: Callable[[], bool]) -> None:
    """Lets the other tasks run until `condition` holds: counted in passes of the event
    loop, not in seconds (a gate that never lets them that far fails here)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the tasks never got there")


async def _gated(gate: ReceiptGate, release: asyncio.Event, peak: list[int]) -> None:
    async with gate.admit_if(f"/status {CODE}"):
        peak.append(gate.inside)
        await release.wait()


@pytest.mark.parametrize("slots", [1, 2])
async def test_gated_turns_go_n_at_a_time_while_others_pass(slots: int) -> None:
    gate = ReceiptGate(slots=slots, max_waiting=50)
    release = asyncio.Event()
    peak: list[int] = []
    checks = [asyncio.create_task(_gated(gate, release, peak)) for _ in range(10)]
    await _until(lambda: gate.inside + gate.waiting == len(checks))
    assert gate.inside == slots and gate.waiting == len(checks) - slots

    passed = asyncio.Event()
    async with gate.admit_if("hoe staat mijn melding ervoor?"):  # not gated: no wait
        passed.set()
    assert passed.is_set() and gate.inside == slots

    release.set()
    await asyncio.gather(*checks)
    assert max(peak) == slots and len(peak) == len(checks)
    assert gate.inside == gate.waiting == 0 and gate.admitted == len(checks)


async def test_a_task_let_through_is_not_made_to_wait_on_itself() -> None:
    """Telegram's middleware enters first and Turns.run again in the same task: with one
    slot a second acquire would wait for ever; the gate lets the task straight on."""
    gate = ReceiptGate(slots=1)

    async def twice() -> int:
        async with gate.admit_if(CODE), gate.admit_if(f"/status {CODE}"):
            return gate.inside

    async with asyncio.timeout(10):  # a guard against a hang, not a measurement
        assert await twice() == 1
    assert gate.admitted == 1 and gate.inside == 0


async def test_a_new_task_waits_even_when_another_was_let_through() -> None:
    """The 'already let through' mark is the task's, not the process's."""
    gate = ReceiptGate(slots=1)
    release = asyncio.Event()
    first = asyncio.create_task(_gated(gate, release, []))
    await _until(lambda: gate.inside > 0)
    second = asyncio.create_task(_gated(gate, release, []))
    await _until(lambda: gate.waiting > 0)
    assert not second.done()
    release.set()
    await asyncio.gather(first, second)
    assert gate.admitted == 2


async def test_beyond_the_waiting_line_a_check_is_refused_as_busy() -> None:
    """The line in front of the pool is bounded like the pool's own was: beyond it a
    check does not wait, and its derivation is refused at once (KdfBusy -> "busy")."""
    gate = ReceiptGate(slots=1, max_waiting=1)
    release = asyncio.Event()
    holders = [asyncio.create_task(_gated(gate, release, [])) for _ in range(2)]
    await _until(lambda: gate.inside + gate.waiting == 2)
    async with gate.admit_if(CODE):
        with low_priority(), pytest.raises(KdfBusy):
            await in_kdf_thread(len, "never run")
        assert await in_kdf_thread(len, "high priority is not refused") == 28
    release.set()
    await asyncio.gather(*holders)
    assert gate.admitted == 2


async def test_a_check_that_left_lets_the_next_in_and_gives_its_slot_back_once() -> None:
    """`leave()` before the derivation: the next check starts its loop work while this
    one still runs; leaving the gate afterwards gives nothing back a second time."""
    gate = ReceiptGate(slots=1)
    release = asyncio.Event()
    left = asyncio.Event()

    async def deriving() -> None:
        async with gate.admit_if(CODE), gate.admit_if(CODE):  # Telegram, then Turns.run
            gate.leave()
            gate.leave()
            left.set()
            await release.wait()

    first = asyncio.create_task(deriving())
    await left.wait()
    next_peak: list[int] = []
    second = asyncio.create_task(_gated(gate, release, next_peak))
    await _until(lambda: bool(next_peak))
    assert not first.done() and gate.inside == 1 and gate.waiting == 0
    release.set()
    await asyncio.gather(first, second)
    assert gate.inside == 0
    again = [asyncio.create_task(_gated(gate, asyncio.Event(), [])) for _ in range(2)]
    await _until(lambda: gate.inside + gate.waiting == 2)
    assert gate.inside == 1 and gate.waiting == 1  # still one slot, not two
    for task in again:
        task.cancel()
    await asyncio.gather(*again, return_exceptions=True)
    assert gate.inside == gate.waiting == 0


def test_leaving_without_a_pass_changes_nothing() -> None:
    gate = ReceiptGate(slots=1)
    gate.leave()
    assert gate.inside == 0 and gate.slots == 1


@pytest.fixture
async def container(make_settings: Callable[..., Settings]) -> AsyncIterator[Container]:
    c = await build_container(make_settings())
    c.receipt_gate = ReceiptGate(slots=1)
    try:
        yield c
    finally:
        await c.close()


async def test_turns_run_gates_a_code_and_not_a_question(container: Container) -> None:
    """The web chat's and WhatsApp's way in: a code waits while the gate is taken, a
    plain question is answered meanwhile, and the code is answered once it is free."""
    turns = wiring.turns(container)
    gate = container.receipt_gate
    release = asyncio.Event()
    holder = asyncio.create_task(_gated(gate, release, []))
    await _until(lambda: gate.inside > 0)

    check = asyncio.create_task(turns.run(turns.chat_key("web", "a"), Command("status", CODE)))
    await _until(lambda: gate.waiting > 0)
    asked = await turns.run(turns.chat_key("web", "b"), Text("hoe staat mijn melding ervoor?"))
    assert asked.replies and not check.done()

    release.set()
    await holder
    answered = await check
    assert [r.key for r in answered.replies] == ["status_not_found"]
    assert gate.admitted == 2


async def test_a_code_check_leaves_the_gate_before_its_derivation(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The derivation (student.view) starts with the slot given back: the next code
    check's loop work does not wait for this one's Argon2id."""
    turns = wiring.turns(container)
    gate = container.receipt_gate
    inside_at_derivation: list[int] = []
    real_view = container.student.view

    async def view(code: str) -> object:
        inside_at_derivation.append(gate.inside)
        return await real_view(code)

    monkeypatch.setattr(container.student, "view", view)
    result = await turns.run(turns.chat_key("web", "c"), Command("status", CODE))
    assert [r.key for r in result.replies] == ["status_not_found"]
    assert inside_at_derivation == [0]
    assert gate.admitted == 1 and gate.inside == 0


async def test_turns_run_inside_a_task_already_let_through(container: Container) -> None:
    """What Telegram does: its middleware holds the only slot when Turns.run enters."""
    turns = wiring.turns(container)
    gate = container.receipt_gate
    async with asyncio.timeout(30), gate.admit_if(f"/status {CODE}"):  # a guard, see above
        result = await turns.run(turns.chat_key("telegram", "1"), Command("status", CODE))
    assert [r.key for r in result.replies] == ["status_not_found"]
    assert gate.admitted == 1
