"""The real aiogram bot, polling a Bot API stand-in on 127.0.0.1 that checks every call
against the published API spec. One student at a time, from /start to receipt and back."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.app.settings import Settings
from standins import BotAPIStandIn
from tests.conftest import ADVISER_CHAT
from tests.support.harness import RECEIPT, RunningService, Student, V, file_report
from tests.support.storage_helpers import filed_channels

CHAT = 4242


async def test_a_student_files_a_report_and_checks_its_status(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        code = await file_report(student)
        assert student.inputs <= 15
        receipt_call = next(
            c for c in reversed(api.sent_to(CHAT)) if RECEIPT.search(c.params.get("text", ""))
        )
        assert receipt_call.params.get("protect_content") in (True, "true")

        notices = await api.wait_for_texts(ADVISER_CHAT, 1, timeout=10)
        assert re.search(r"SM-[A-Z0-9-]+", notices[0])
        assert "hoofddoek" not in notices[0]

        mark = len(api.messages(CHAT))
        texts = await student.say(f"/status {code[:4]} {code[4:8]} {code[8:12]} {code[12:]}")
        assert any("ontvangen" in t.lower() or "received" in t.lower() for t in texts), texts
        assert api.deleted(CHAT), "the message holding the code is deleted"
        assert mark  # the chat had messages
    assert await filed_channels(settings.database.url) == ["telegram"]  # for the figures


async def test_free_text_asks_for_the_status(api: BotAPIStandIn, settings: Settings) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        asked = await student.say("hoe staat mijn melding ervoor?")
        assert "16 cijfers" in asked[-1]
        answer = await student.say("0000-0000-0000-0002")
        assert "geen melding" in answer[-1]
        assert api.deleted(CHAT)  # the message that held a code is gone


async def test_wrong_code_is_refused_kindly_and_five_lock(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        replies: list[list[str]] = []
        for _ in range(6):
            replies.append(await student.say("/status 0000 0000 0000 0001"))
        assert all(r for r in replies)
        assert replies[0] != replies[-1]  # the last one says the chat is locked


async def test_simultaneous_code_checks_take_turns_and_all_get_their_answer(
    api: BotAPIStandIn, settings: Settings
) -> None:
    """Six students send /status with a (wrong) code at once, a seventh asks a question:
    behind the receipt gate (one at a time) every check still gets the kind
    "not found" with its attempts left, the question its answer, and each check passed
    the gate once (its middleware and Turns.run in one task never wait on each other)."""
    checkers = [Student(api, CHAT + 1 + i) for i in range(6)]
    async with RunningService(settings, api) as service:
        marks = [api.mark(s.chat_id) for s in checkers]
        for i, student in enumerate(checkers):
            api.push_text(student.chat_id, f"/status 0000 0000 0000 {i + 1:04d}")
        asked_mark = api.mark(CHAT)
        api.push_text(CHAT, "hoe staat mijn melding ervoor?")
        answers = [
            await api.wait_for_texts(s.chat_id, 1, since=m, timeout=30)
            for s, m in zip(checkers, marks, strict=True)
        ]
        asked = await api.wait_for_texts(CHAT, 1, since=asked_mark, timeout=30)
        await api.wait_idle(timeout=10)
        container = service.containers[0]
        gate = container.receipt_gate
    not_found = container.dialogue.texts("nl").get("status_not_found", left=4)
    assert all(texts == [not_found] for texts in answers), answers
    assert "16 cijfers" in asked[-1]
    assert all(api.deleted(s.chat_id) for s in checkers)  # each code was hidden again
    assert gate.slots == 1 and gate.admitted == len(checkers)
    assert gate.inside == gate.waiting == 0


async def test_a_waiting_code_check_has_not_reached_the_update_log_yet(
    api: BotAPIStandIn, settings: Settings
) -> None:
    """The gate comes before OncePerUpdate: while the gate is taken, a code check waits
    before any database work for it, and another student's question is answered."""
    checker, asker = Student(api, CHAT + 1), Student(api, CHAT)
    async with RunningService(settings, api) as service:
        container = service.containers[0]
        gate = container.receipt_gate
        entered: list[int] = []
        real_pending = container.updates.pending

        def pending(source: str, update_id: int) -> Any:
            entered.append(update_id)
            return real_pending(source, update_id)

        container.updates.pending = pending  # type: ignore[method-assign]
        async with gate.admit():  # this test's task takes the one slot
            check_mark = api.mark(checker.chat_id)
            check_update = api.push_text(checker.chat_id, "/status 0000 0000 0000 0009")
            asked = await asker.say("hoe staat mijn melding ervoor?")
            assert "16 cijfers" in asked[-1]
            assert gate.waiting == 1 and api.texts_to(checker.chat_id)[check_mark:] == []
            assert check_update not in entered and entered
        answer = await api.wait_for_texts(checker.chat_id, 1, since=check_mark, timeout=30)
        assert answer == [container.dialogue.texts("nl").get("status_not_found", left=4)]
        assert check_update in entered


async def test_stale_and_forged_buttons_change_nothing(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await student.say("/start")
        first = student.latest_with_buttons()
        assert first is not None
        stale = first["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await student.press(V["safety_no"])
        assert "reply_markup" not in first  # the answered question loses its buttons
        before = student.offered()
        texts = await student.press_data(stale, message_id=first["message_id"])
        assert texts, "a stale button gets an answer"
        assert student.offered() == before  # the current question is asked again
        texts = await student.press_data("forged:data")
        assert texts and student.offered() == before


async def test_429_and_502_from_telegram_are_retried(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        api.fail_next("sendMessage", status=429, retry_after=1)
        assert await student.say("/start")
        api.fail_next("sendMessage", status=502)
        assert await student.press(V["safety_no"])
        assert len(api.faults) == 2


async def test_a_duplicate_update_is_handled_once(api: BotAPIStandIn, settings: Settings) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await student.say("/start")
        update_id = api.push_text(CHAT, "/help")
        await api.wait_idle(timeout=10)
        count = len(api.texts_to(CHAT))
        api.redeliver(update_id)
        await api.wait_idle(timeout=10)
        assert len(api.texts_to(CHAT)) == count


async def test_duplicates_of_a_press_and_an_edit_are_answered_once(
    api: BotAPIStandIn, settings: Settings
) -> None:
    """No read before a turn; the marker stops a second delivery instead, before
    anything is sent, for a turn and for the answers that are not turns."""
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await student.say("/start")
        await student.press(V["safety_no"])
        asked = api.texts_to(CHAT)
        press_id = max(api.telegram.queue.history)
        api.redeliver(press_id)
        await api.wait_idle(timeout=10)
        assert api.texts_to(CHAT) == asked
        message = api.telegram.chats(CHAT).ordered(from_bot=False)[-1]
        edit_id = api.push_update({"edited_message": {**message, "text": "anders", "edit_date": 1}})
        await api.wait_idle(timeout=10)
        answered = len(api.texts_to(CHAT))
        assert answered == len(asked) + 1
        api.redeliver(edit_id)
        await api.wait_idle(timeout=10)
        assert len(api.texts_to(CHAT)) == answered
        assert "during" in student.offered()  # still at the phase, asked once
        await student.press("during")
        await student.say("Mijn begeleider maakte grappen over mijn afkomst.")
        assert V["story_done"] in student.offered()


async def test_a_restart_mid_conversation_resumes(api: BotAPIStandIn, settings: Settings) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await student.say("/start")
        await student.press(V["safety_no"])
        await student.press("during")
    async with RunningService(settings, api):
        await student.say("Mijn begeleider maakte grappen over mijn afkomst.")
        await student.press(V["story_done"])
        assert "origin" in student.offered()  # the grounds question: we went on


async def test_a_stopped_service_leaves_nothing_running(
    api: BotAPIStandIn, settings: Settings
) -> None:
    """Polling used to outlive the service (cancelled before it could stop): it went on
    handling updates with a closed database, and a later test met its connection."""
    student = Student(api, CHAT)
    before = asyncio.all_tasks()
    async with RunningService(settings, api):
        await student.say("/start")
    await asyncio.sleep(0.2)  # what was cancelled gets to finish
    left = [t for t in asyncio.all_tasks() - before if not t.done() and not _stand_ins(t)]
    assert left == [], [t.get_coro() for t in left]


def _stand_ins(task: asyncio.Task[Any]) -> bool:
    """The stand-in's side of a long poll the bot gave up: it ends with its timeout."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.endswith("aiohttp/web_protocol.py")


async def test_media_gets_a_kind_word_and_changes_nothing(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await student.say("/start")
        before = student.offered()
        mark = api.mark(CHAT)
        api.push_photo(CHAT)
        await api.wait_idle(timeout=10)
        assert api.texts_to(CHAT)[mark:]
        assert student.offered() == before


async def test_the_conversation_can_be_erased_from_the_chat(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await file_report(student)
        alive_before = set(api.messages(CHAT))
        await student.press(V["erase"])
        assert alive_before <= api.deleted(CHAT)


def _unused(_: Any) -> None:
    """Keeps imports honest for type checkers."""
