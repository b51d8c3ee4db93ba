"""Hostile input through the real aiogram dispatcher: whole Bot API updates generated from
the spec's types (tests/support/botapi_strategies.py), fed straight to the dispatcher, the bot's
calls answered by the stand-in (which refuses any call that breaks the API: unbalanced
HTML, texts over 4096 characters, callback data over 64 bytes …).

For every update: no unhandled exception; no call that breaks the API; the watched
student's conversation unchanged; nothing said in a group or channel; and a private
message or button press gets its answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from hypothesis import HealthCheck, given, settings

from bot.app.channel_wiring import telegram_bot, telegram_dispatcher
from bot.app.container import Container, build_container
from bot.app.settings import Settings
from bot.channels.telegram.respond import CHANNEL
from standins import BotAPIStandIn
from standins import updates as build
from storage.repositories.conversations import ChatRef
from tests.support.botapi_strategies import CHATS, PRIVATE, WATCHED, updates
from tests.support.harness import TOKEN

ANSWERING = ("sendMessage", "editMessageText")


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Rig:
    """The dispatcher, its container and the stand-in, on one event loop driven by hand
    (hypothesis calls the test synchronously)."""

    def __init__(self, settings_for: Callable[[str], Settings]) -> None:
        self.loop = asyncio.new_event_loop()
        self.api = BotAPIStandIn(TOKEN)
        self.loop.run_until_complete(self.api.start())
        self.settings = settings_for(self.api.base_url)
        self.container: Container = self.run(build_container(self.settings))
        self.bot: Bot = telegram_bot(self.settings.telegram)
        self.dp: Dispatcher = telegram_dispatcher(self.container)
        self.next_update = 1

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def feed(self, update: dict[str, Any]) -> None:
        update = {**update, "update_id": self.next_update}  # OncePerUpdate would skip repeats
        self.next_update += 1
        if isinstance(query := update.get("callback_query"), dict):
            self.api.telegram.callback_queries[str(query["id"])] = query
        self.run(self.dp.feed_raw_update(self.bot, update))

    def say(self, chat_id: int, text: str) -> None:
        sender = build.user(chat_id, "Watched", "nl")
        message = build.user_message(1, chat_id, sender, **build.text_content(text))
        self.feed({"message": message})

    def state(self, chat_id: int) -> dict[str, object] | None:
        key = self.container.keys.server.chat_key(CHANNEL, str(chat_id))
        chat = ChatRef(key, str(chat_id).encode())
        return self.run(self.container.conversations.load(chat))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.run(self.bot.session.close())
        self.run(self.container.close())
        self.run(self.api.stop())
        self.loop.close()


@pytest.fixture
def rig(make_settings: Callable[..., Settings]) -> Iterator[Rig]:
    def settings_for(base_url: str) -> Settings:
        return make_settings(
            telegram={"token": TOKEN, "api_base": base_url},
            conversation={"messages_per_minute": 1_000_000},  # floods: tested on their own
        )

    made = Rig(settings_for)
    yield made
    made.close()


def test_fuzzed_updates_are_handled_kindly_and_touch_no_other_chat(rig: Rig) -> None:
    rig.say(WATCHED, "/start")
    watched = rig.state(WATCHED)
    assert watched is not None
    errors = Errors()
    logging.getLogger().addHandler(errors)

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(update=updates())
    def check(update: dict[str, Any]) -> None:
        kind = next(k for k in update if k != "update_id")
        body = update[kind]
        chat = (body.get("message") or {}).get("chat") if kind == "callback_query" else body["chat"]
        since, refused = len(rig.api.calls), len(rig.api.violations)
        rig.feed(update)
        calls = rig.api.calls[since:]
        assert errors.records == [], [r.getMessage() for r in errors.records]
        assert rig.api.violations[refused:] == []
        assert rig.state(WATCHED) == watched
        silent = {c for c, info in CHATS.items() if info["type"] != "private"}
        assert not [c for c in calls if c.chat_id in silent], "the bot spoke in a group"
        if kind in ("message", "edited_message") and chat["id"] in PRIVATE:  # type: ignore[index]
            assert any(c.method in ANSWERING and c.chat_id == chat["id"] for c in calls)  # type: ignore[index]
        if kind == "callback_query" and chat["id"] in PRIVATE:  # type: ignore[index]
            assert any(c.method == "answerCallbackQuery" for c in calls)

    try:
        check()
    finally:
        logging.getLogger().removeHandler(errors)


HOSTILE_STORIES = (
    "<b>vet</b> <i>open",
    "</a><a href='x'>",
    "&lt;&amp&#x0;",
    "*_`[x](y)",
    "\u202e\u200b\u200d\ufeff",
    "\x00\x07\x1b[2J",
    "a" * 4000,
    "é" * 3999 + "\u200d",
)


def test_hostile_story_text_is_echoed_escaped_within_limits(rig: Rig) -> None:
    """The summary echoes the story: it must reach the student as the very characters
    they typed (escaped, not interpreted; the stand-in refuses broken HTML), and never
    break the 4096 limit — also at the 4000-character limit of one message."""
    for chat, text in enumerate(HOSTILE_STORIES, start=10):
        rig.say(chat, "/start")
        for value in ("no", "interview"):
            _press(rig, chat, value)
        rig.say(chat, text)
        since = len(rig.api.calls)
        for value in ("done", "religion", "next", "week", "hhs", "skip", "skip", "no", "register"):
            _press(rig, chat, value)
        _press(rig, chat, "school")
        assert rig.api.violations == []
        shown = [c.result["text"] for c in rig.api.calls[since:] if c.ok and c.method in ANSWERING]
        summary = shown[-1]
        assert len(summary) <= 4096
        assert text.strip()[:200] in summary, (text[:20], summary[:300])


def test_a_text_over_the_limit_is_refused_kindly_and_keeps_the_step(rig: Rig) -> None:
    for chat, text in enumerate(("a" * 4001, "b" * 4096, "é" * 5000), start=30):
        rig.say(chat, "/start")
        for value in ("no", "interview"):
            _press(rig, chat, value)
        before = rig.state(chat)
        since = len(rig.api.calls)
        rig.say(chat, text)
        answers = [
            c.result["text"] for c in rig.api.calls[since:] if c.ok and c.method in ANSWERING
        ]
        assert answers and "te lang" in answers[0]
        assert rig.state(chat) == before
    assert rig.api.violations == []


def _press(rig: Rig, chat_id: int, value: str) -> None:
    message = next(
        m for m in reversed(rig.api.bot_messages(chat_id)) if (m.get("reply_markup") or {})
    )
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    data = next(b["callback_data"] for b in buttons if b["callback_data"].endswith(":" + value))
    sender = build.user(chat_id, "Student", "nl")
    rig.feed(
        {"callback_query": build.callback_query(f"q{rig.next_update}", sender, message, data, "i")}
    )
