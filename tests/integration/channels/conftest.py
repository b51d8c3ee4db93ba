"""Fixtures for the channel tests: the Bot API stand-in, and the real aiogram client
pointed at it (test_standin*.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

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
