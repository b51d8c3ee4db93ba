"""What the Bot API stand-in's own tests share to talk to it: its token, a chat, an
inline keyboard, and a raw POST that skips aiogram's own checks."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from standins import BotAPIStandIn
from tests.support.harness import TOKEN

__all__ = ["CHAT", "TOKEN", "keyboard"]
CHAT = 4242


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
