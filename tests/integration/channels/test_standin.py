"""The Bot API stand-in, driven by the real aiogram client: sending and its validation,
and the chats (edits, deletes, buttons). Updates, faults and webhooks: test_standin_updates.py."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
)
from aiogram.types import (
    BotCommand,
    Message,
)

from standins import BotAPIStandIn
from standins.html_check import HtmlError, parse_html
from tests.support.standin_client import CHAT, TOKEN, keyboard, raw_post

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
