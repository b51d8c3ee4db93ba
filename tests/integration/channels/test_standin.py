"""The Bot API stand-in, driven by the real aiogram client."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
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
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from standins import BotAPIStandIn, Call
from standins.html_check import HtmlError, parse_html
from standins.spec import default_spec_path, load_spec
from standins.validate import Checker

TOKEN = "123456:TEST-token"
CHAT = 4242


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as api:
        yield api


@pytest.fixture
async def bot(standin: BotAPIStandIn) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    client = Bot(TOKEN, session=session)
    yield client
    await client.session.close()


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


async def raw_post(standin: BotAPIStandIn, method: str, **kwargs: Any) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{standin.base_url}/bot{TOKEN}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


# --- sending and validation --------------------------------------------------------------


async def test_send_message_with_keyboard_is_recorded_decoded(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    sent = await bot.send_message(
        CHAT,
        "<b>Hallo</b> &amp; welkom",
        parse_mode="HTML",
        reply_markup=keyboard([("Ja", "yes"), ("Nee", "no")]),
        protect_content=True,
    )
    assert sent.text == "Hallo & welkom"
    assert sent.entities and sent.entities[0].type == "bold"
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.chat.type == "private"
    call = standin.sent_to(CHAT)[-1]
    assert call.method == "sendMessage" and call.chat_id == CHAT
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Ja", "callback_data": "yes"}, {"text": "Nee", "callback_data": "no"}]
        ]
    }
    assert call.params["protect_content"] is True
    assert standin.texts_to(CHAT) == ["Hallo & welkom"]
    assert standin.last_message(CHAT)["reply_markup"] == call.params["reply_markup"]
    second = await bot.send_message(CHAT, "nog een")
    assert second.message_id == sent.message_id + 1
    assert standin.violations == []


async def test_callback_data_over_64_bytes_is_a_violation(standin: BotAPIStandIn, bot: Bot) -> None:
    await bot.send_message(CHAT, "ok", reply_markup=keyboard([("a", "é" * 32)]))  # 64 bytes
    assert standin.violations == []
    with pytest.raises(TelegramBadRequest, match="callback_data"):
        await bot.send_message(CHAT, "te lang", reply_markup=keyboard([("a", "x" * 65)]))
    assert len(standin.violations) == 1
    assert "inline_keyboard[0][0].callback_data" in standin.violations[0]
    assert "65 bytes" in standin.violations[0]
    assert standin.calls[-1].status == 400
    assert standin.texts_to(CHAT) == ["ok"]


async def test_text_length_counts_after_entity_parsing(standin: BotAPIStandIn, bot: Bot) -> None:
    await bot.send_message(CHAT, "x" * 4096)
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert standin.violations == []
    with pytest.raises(TelegramBadRequest, match="4097 characters"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")
    assert len(standin.violations) == 2


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<b>vet", "can't find end tag"),
        ("<b><i>x</b></i>", "unmatched end tag"),
        ("<div>x</div>", 'unsupported start tag "div"'),
        ("<br/>", 'unsupported start tag "br"'),
        ("a < b", "unsupported start tag"),
        ("Tom & Jerry", 'unescaped "&"'),
        ("&nbsp;", 'unescaped "&"'),
        ('<span class="x">s</span>', "tg-spoiler"),
        ("<code><b>x</b></code>", "pre and code hold no entities"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "blockquote inside blockquote"),
    ],
)
async def test_bad_html_is_refused(standin: BotAPIStandIn, bot: Bot, text: str, why: str) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert len(standin.violations) == 1 and why in standin.violations[0]


async def test_supported_html_passes(standin: BotAPIStandIn, bot: Bot) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike>"
        '<del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://example.org/?a=1&amp;b=2">link</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>quote <i>it</i></blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        '<tg-time unix="1647531900" format="wDT">time</tg-time> &lt;&gt;&quot;&#65;&#x42;'
    )
    sent = await bot.send_message(CHAT, text, parse_mode="HTML")
    assert standin.violations == []
    assert sent.text is not None and sent.text.endswith('time <>"AB')
    kinds = {e.type for e in sent.entities or []}
    assert {"text_link", "pre", "expandable_blockquote", "custom_emoji", "date_time"} <= kinds


def test_html_entities_use_utf16_offsets() -> None:
    parsed = parse_html("😀 <b>x</b>")
    assert parsed.text == "😀 x"
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 1}]
    with pytest.raises(HtmlError, match="byte offset 5"):
        parse_html("😀 <x>")


async def test_unknown_parameter_and_missing_chat_id_are_refused(
    standin: BotAPIStandIn,
) -> None:
    status, body = await raw_post(
        standin, "sendMessage", data={"chat_id": "1", "text": "hoi", "colour": "red"}
    )
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: colour: unknown parameter")
    status, body = await raw_post(standin, "sendMessage", json={"text": "hoi"})
    assert status == 400 and "chat_id: required parameter" in body["description"]
    status, body = await raw_post(standin, "sendMessage", data={"chat_id": "x1", "text": "a"})
    assert status == 400 and body["description"] == "Bad Request: chat not found"
    assert len(standin.violations) == 2  # "chat not found" is Telegram's answer, not a breach


async def test_types_are_checked_in_every_encoding(standin: BotAPIStandIn) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    status, body = await raw_post(
        standin,
        "sendMessage",
        json={"chat_id": 5, "text": "json", "reply_markup": markup, "disable_notification": True},
    )
    assert status == 200 and body["result"]["reply_markup"] == markup
    form = {"chat_id": "5", "text": "form", "reply_markup": json.dumps(markup)}
    status, _ = await raw_post(standin, "sendMessage", data=form)
    assert status == 200
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{standin.base_url}/bot{TOKEN}/SendMessage", params=form) as response,
    ):
        assert response.status == 200
    assert [c.params["reply_markup"] for c in standin.calls_of("sendMessage")] == [markup] * 3
    bad = [
        {"chat_id": "5", "text": "a", "disable_notification": "yes"},
        {"chat_id": "5", "text": "a", "reply_markup": "{not json"},
        {"chat_id": "5", "text": "a", "reply_markup": json.dumps({"keyboard": [[{"txt": "a"}]]})},
        {"chat_id": "5", "text": "a", "reply_parameters": json.dumps({"message_id": "one"})},
    ]
    for params in bad:
        status, body = await raw_post(standin, "sendMessage", data=params)
        assert status == 400, params
    assert len(standin.violations) == 4
    assert "reply_markup.keyboard[0][0]" in standin.violations[2]


async def test_wrong_token_and_unknown_method(standin: BotAPIStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{standin.base_url}/bot1:wrong/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.post(f"{standin.base_url}/bot{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
            body = await response.json()
            assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.get(f"{standin.base_url}/bot{TOKEN}/GETME") as response:
            body = await response.json()
            assert body["result"]["username"] == "stagemeld_test_bot"
            assert body["result"]["is_bot"] is True


async def test_set_my_commands_follows_the_documented_rules(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    commands = [
        BotCommand(command="start", description="Begin"),
        BotCommand(command="status", description="Status"),
    ]
    assert await bot.set_my_commands(commands, language_code="nl")
    assert [c.command for c in await bot.get_my_commands(language_code="nl")] == [
        "start",
        "status",
    ]
    assert await bot.delete_my_commands(language_code="nl")
    assert await bot.get_my_commands(language_code="nl") == []
    assert standin.violations == []
    for command, description in [("Start", "x"), ("a" * 33, "x"), ("ok", ""), ("ok", "d" * 257)]:
        with pytest.raises(TelegramBadRequest):
            await bot.set_my_commands([BotCommand(command=command, description=description)])
    assert len(standin.violations) == 4


# --- chats: edits, deletes, buttons -----------------------------------------------------------


async def test_edits_follow_telegram(standin: BotAPIStandIn, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "vraag", reply_markup=keyboard([("A", "a")]))
    live = standin.last_message(CHAT)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "vraag", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard([("A", "a")])
        )
    edited = await bot.edit_message_text(
        "<i>antwoord</i>", chat_id=CHAT, message_id=sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message) and edited.text == "antwoord"
    assert "reply_markup" not in live  # an edit without reply_markup drops the keyboard
    assert live["text"] == "antwoord" and "edit_date" in live
    changed = await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard([("B", "b")])
    )
    assert isinstance(changed, Message) and changed.reply_markup is not None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    assert [c.method for c in standin.sent_to(CHAT)] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    assert standin.texts_to(CHAT) == ["vraag", "antwoord"]
    assert standin.violations == []


async def test_delete_messages(standin: BotAPIStandIn, bot: Bot) -> None:
    standin.push_text(CHAT, "hoi")
    ids = [(await bot.send_message(CHAT, f"m{i}")).message_id for i in range(3)]
    assert standin.messages(CHAT) == [1, *ids]
    assert await bot.delete_messages(CHAT, [1, ids[0]])
    assert standin.calls_of("deleteMessages")[-1].params["message_ids"] == [1, ids[0]]
    assert standin.deleted(CHAT) == {1, ids[0]}
    assert await bot.delete_message(CHAT, ids[1])
    assert standin.messages(CHAT) == [ids[2]]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(CHAT, ids[1])
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_messages(CHAT, [ids[2], 77])
    with pytest.raises(TelegramBadRequest):
        await bot.delete_messages(CHAT, list(range(1, 102)))  # 101 ids: a violation
    assert len(standin.violations) == 1


async def test_copy_message(standin: BotAPIStandIn, bot: Bot) -> None:
    standin.push_text(CHAT, "mijn verhaal")
    copied = await bot.copy_message(900001, from_chat_id=CHAT, message_id=1)
    assert copied.message_id == 1
    assert standin.message(900001, 1)["text"] == "mijn verhaal"
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(900001, from_chat_id=CHAT, message_id=5)
    assert standin.violations == []


async def test_press_finds_the_button_and_the_callback_can_be_answered(
    standin: BotAPIStandIn, bot: Bot
) -> None:
    sent = await bot.send_message(
        CHAT, "kies", reply_markup=keyboard([("Ja", "y")], [("Nee", "n")])
    )
    await bot.send_message(CHAT, "zonder knoppen")
    update_id = standin.press(CHAT, "Nee")
    (update,) = await bot.get_updates(timeout=1)
    assert update.update_id == update_id
    query = update.callback_query
    assert query is not None and query.data == "n"
    assert query.message is not None and query.message.message_id == sent.message_id
    with pytest.raises(AssertionError, match=r"on offer: \['Ja', 'Nee'\]"):
        standin.press(CHAT, "Misschien")
    with pytest.raises(TelegramBadRequest):
        await bot.answer_callback_query(query.id, text="t" * 201)
    assert await bot.answer_callback_query(query.id, text="Oké")
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(query.id)
    assert len(standin.violations) == 1  # only the 201-character text


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
