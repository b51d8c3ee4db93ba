"""telegram.concurrent_updates bounds the updates one process handles at once: a backlog
becomes a queue in front of the handlers, not hundreds of tasks at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.app.settings import Settings
from bot.channels.telegram.respond import TelegramResponder
from standins import BotAPIStandIn
from tests.support.harness import TOKEN, RunningService

LIMIT = 2
CHATS = [7001 + i for i in range(6)]


async def test_no_more_updates_at_once_than_configured(
    api: BotAPIStandIn,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(
        telegram={
            "token": TOKEN,
            "api_base": api.base_url,
            "polling_timeout": 1,
            "concurrent_updates": LIMIT,
        },
        status={"max_queued_checks": 1},
    )
    inside, most = 0, 0
    real = TelegramResponder.on_message

    async def counted(self: TelegramResponder, *args: Any, **kwargs: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            await asyncio.sleep(0.2)  # long enough for every update of the batch to start
            await real(self, *args, **kwargs)
        finally:
            inside -= 1

    monkeypatch.setattr(TelegramResponder, "on_message", counted)
    async with RunningService(settings, api):
        marks = {chat: api.mark(chat) for chat in CHATS}
        for chat in CHATS:
            api.push_text(chat, "/start")
        for chat in CHATS:  # every student is still answered
            await api.wait_for_texts(chat, 1, since=marks[chat], timeout=30)
    assert most == LIMIT
