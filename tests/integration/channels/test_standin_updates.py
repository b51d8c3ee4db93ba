"""The Bot API stand-in, driven by the real aiogram client: its updates (long polls,
redelivery, the spec), faults, uploads, webhooks, and a dispatcher end to end."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    Message,
)
from aiohttp import web

from standins import BotAPIStandIn, Call
from standins.spec import default_spec_path, load_spec
from standins.validate import Checker
from tests.support.standin_client import CHAT, TOKEN, keyboard

# --- updates -----------------------------------------------------------------------------------


async def test_long_poll_wakes_on_push_and_offset_confirms(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await standin.wait_for_calls(lambda c: c.method == "getUpdates")
    update_id = standin.push_text(CHAT, "/start")
    (update,) = await poll
    assert time.monotonic() - started < 2
    assert update.update_id == update_id and update.message is not None
    assert update.message.text == "/start"
    assert update.message.entities and update.message.entities[0].type == "bot_command"
    again = await bot.get_updates()  # not confirmed yet: Telegram sends it again
    assert [u.update_id for u in again] == [update_id]
    second = standin.push_text(CHAT, "tweede")
    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1)] == [second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == []
    started = time.monotonic()
    assert await bot.get_updates(offset=second + 1, timeout=1) == []
    assert time.monotonic() - started >= 0.9


async def test_limit_and_allowed_updates(standin: BotAPIStandIn, bot: Bot) -> None:
    await bot.send_message(CHAT, "kies", reply_markup=keyboard([("Ja", "y")]))
    first = standin.push_text(CHAT, "een")
    standin.push_text(CHAT, "twee")
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]
    pressed = standin.press(CHAT, "Ja")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.update_id for u in updates] == [pressed]


async def test_allowed_updates_must_name_update_fields(standin: BotAPIStandIn, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="'callback' is no field of Update"):
        await bot.get_updates(allowed_updates=["message", "callback"])
    assert len(standin.violations) == 1


async def test_stop_ends_a_waiting_long_poll() -> None:
    standin = await BotAPIStandIn(TOKEN).start()
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    other = Bot(TOKEN, session=session)
    poll = asyncio.create_task(other.get_updates(timeout=30))
    await standin.wait_for_calls(lambda c: c.method == "getUpdates")
    started = time.monotonic()
    await standin.stop()
    assert await poll == []
    assert time.monotonic() - started < 3
    await other.session.close()


async def test_redeliver_repeats_the_same_update(standin: BotAPIStandIn, bot: Bot) -> None:
    update_id = standin.push_text(CHAT, "/help")
    (first,) = await bot.get_updates(timeout=1)
    assert await bot.get_updates(offset=update_id + 1) == []
    standin.redeliver(update_id)
    (duplicate,) = await bot.get_updates(offset=update_id + 1, timeout=1)
    assert duplicate.update_id == first.update_id == update_id
    assert duplicate.message is not None and duplicate.message.message_id == 1
    assert await bot.get_updates(offset=update_id + 1) == []
    assert standin.push_text(CHAT, "next") > update_id


async def test_a_newer_poll_ends_the_older_with_conflict(standin: BotAPIStandIn, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await standin.wait_for_calls(lambda c: c.method == "getUpdates")
    newer = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await older
    update_id = standin.push_text(CHAT, "hoi")
    assert [u.update_id for u in await newer] == [update_id]


async def test_pushed_updates_and_sent_messages_match_the_spec(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    await bot.send_message(
        CHAT, "<b>kies</b>", parse_mode="HTML", reply_markup=keyboard([("Ja", "y")])
    )
    ids = [
        standin.push_text(CHAT, "/status 1234", user_id=7, first_name="Amal"),
        standin.push_photo(CHAT, caption="foto"),
        standin.push_sticker(CHAT),
        standin.push_callback(CHAT, "y"),
    ]
    checker = Checker(load_spec())
    for update_id in ids:
        checker.check(standin.updates[update_id], ("Update",), "update")
    checker.check(standin.last_message(CHAT), ("Message",), "message")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == ids
    assert updates[0].message is not None and updates[0].message.from_user is not None
    assert updates[0].message.from_user.id == 7
    assert updates[1].message is not None and updates[1].message.photo
    assert updates[2].message is not None and updates[2].message.sticker
    assert standin.messages(CHAT) == [1, 2, 3, 4]


async def test_a_callback_on_a_deleted_message_carries_an_inaccessible_message(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "kies", reply_markup=keyboard([("Ja", "y")]))
    await bot.delete_message(CHAT, sent.message_id)
    standin.push_callback(CHAT, "y", message_id=sent.message_id)
    (update,) = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.message is not None
    assert isinstance(update.callback_query.message, InaccessibleMessage)
    with pytest.raises(AssertionError, match="never had message"):
        standin.push_callback(CHAT, "y", message_id=99)


def test_the_spec_is_loaded_once() -> None:
    spec = load_spec()
    assert load_spec() is spec
    assert spec.method("SENDMESSAGE") is spec.methods["sendMessage"]
    assert "callback_query_id" in spec.methods["sendMessage"].fields  # from aiogram's schema


# --- faults ------------------------------------------------------------------------------------


async def test_fault_injection(standin: BotAPIStandIn, bot: Bot) -> None:
    standin.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as too_many:
        await bot.send_message(CHAT, "a")
    assert too_many.value.retry_after == 1
    standin.fail_next("sendMessage", status=502)
    with pytest.raises(ClientDecodeError):  # an nginx page: aiogram cannot decode it
        await bot.send_message(CHAT, "b")
    standin.fail_next("sendMessage", status=500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(CHAT, "c")
    standin.fail_next("SENDMESSAGE", drop=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(CHAT, "d")
    standin.fail_next("sendMessage", status=403, times=2)
    for _ in range(2):
        with pytest.raises(Exception, match="blocked"):
            await bot.send_message(CHAT, "e")
    assert (await bot.send_message(CHAT, "f")).text == "f"
    assert [(f.status, f.drop) for f in standin.faults] == [
        (429, False),
        (502, False),
        (500, False),
        (429, True),
        (403, False),
        (403, False),
    ]
    assert all(isinstance(f.call, Call) for f in standin.faults)
    assert standin.texts_to(CHAT) == ["f"]
    assert standin.violations == []


async def test_wait_idle_waits_for_the_retry_after_a_fault(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    standin.fail_next("sendMessage", status=429, retry_after=1)

    async def send_with_retry() -> None:
        try:
            await bot.send_message(CHAT, "a")
        except TelegramRetryAfter as exc:
            await asyncio.sleep(exc.retry_after)
            await bot.send_message(CHAT, "a")

    task = asyncio.create_task(send_with_retry())
    await standin.wait_for_calls(lambda c: c.status == 429)
    await standin.wait_idle(timeout=5)
    assert standin.texts_to(CHAT) == ["a"]
    await task


async def test_wait_idle_times_out_when_nobody_polls(standin: BotAPIStandIn) -> None:
    standin.push_text(CHAT, "hallo?")
    with pytest.raises(TimeoutError, match="not fetched"):
        await standin.wait_idle(timeout=0.3)


# --- uploads and webhooks ----------------------------------------------------------------------


async def test_uploads_are_accepted(standin: BotAPIStandIn, bot: Bot) -> None:
    photo = BufferedInputFile(b"\x89PNG fake", filename="p.png")
    sent = await bot.send_photo(CHAT, photo, caption="<i>foto</i>", parse_mode="HTML")
    assert sent.caption == "foto"
    upload = standin.calls_of("sendPhoto")[-1].params["photo"]
    assert isinstance(upload, str) and upload.startswith("attach://")
    assert await bot.send_chat_action(CHAT, "typing")
    assert standin.violations == []


async def test_webhook_mode(standin: BotAPIStandIn, bot: Bot) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(TelegramBadRequest, match="HTTPS"):
            await bot.set_webhook("http://example.org/hook")
        assert await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret")
        assert (await bot.get_webhook_info()).url == "https://bot.example.org/hook"
        update_id = standin.push_text(CHAT, "/start")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        await standin.wait_idle(timeout=1)  # webhook updates are not waited for
        status = await standin.post_update_to(f"http://127.0.0.1:{port}/hook", secret="s3cret")
        assert status == 200
        assert received == [(standin.updates[update_id], "s3cret")]
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()


# --- end to end ---------------------------------------------------------------------------------


async def test_a_dispatcher_polls_and_answers(standin: BotAPIStandIn, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "<b>Welkom!</b>", parse_mode="HTML", reply_markup=keyboard([("Verder", "next")])
        )

    @router.message(Command("help"))
    async def help_(message: Message) -> None:
        await message.answer("Hulp")

    @router.callback_query(F.data == "next")
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text("Verder dan.")

    dp = Dispatcher()
    dp.include_router(router)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=False)
    )
    try:
        await standin.wait_for_calls(lambda c: c.method == "getUpdates")
        mark = standin.mark(CHAT)
        standin.push_text(CHAT, "/start")
        assert await standin.wait_for_texts(CHAT, 1, since=mark) == ["Welkom!"]
        standin.press(CHAT, "Verder")
        await standin.wait_idle(timeout=5)
        assert standin.texts_to(CHAT) == ["Welkom!", "Verder dan."]
        assert "reply_markup" not in standin.last_message(CHAT)
        assert standin.calls_of("answerCallbackQuery")[-1].ok
        standin.push_text(CHAT, "/help@stagemeld_test_bot")
        await standin.wait_idle(timeout=5)
        assert standin.texts_to(CHAT)[-1] == "Hulp"
    finally:
        await dp.stop_polling()
        await polling
    assert standin.violations == []


SHARED_SPEC = Path(__file__).resolve().parents[4] / "shared" / "telegram-bot-api"


@pytest.mark.parametrize("name", ["api.json", "aiogram-butcher/schema.json"])
def test_the_vendored_spec_is_the_shared_one(name: str) -> None:
    vendored = default_spec_path().parent / name
    assert (vendored.parent / "LICENSE").is_file(), "the MIT licence travels with the copy"
    shared = SHARED_SPEC / name
    if not shared.is_file():
        pytest.skip(f"no shared spec at {shared} to compare with (a clean clone elsewhere)")
    assert vendored.read_bytes() == shared.read_bytes(), (
        f"standins/botapi/{name} differs from {shared}; copy the shared one over"
    )
