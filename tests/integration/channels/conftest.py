"""Fixtures for the channel tests: the Bot API stand-in, and the real aiogram client
pointed at it (test_standin*.py); for the service's own Telegram tests, a stand-in that
fails the test on any call against the spec (`api`) and settings pointing at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.app.settings import Settings
from standins import BotAPIStandIn
from tests.support.standin_client import TOKEN


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


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin
    assert standin.violations == [], standin.violations


@pytest.fixture
def settings(make_settings: Callable[..., Settings], api: BotAPIStandIn) -> Settings:
    return make_settings(telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1})
