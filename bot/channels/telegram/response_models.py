"""Keeps aiogram's parsed-response models alive for the life of the bot.

aiogram reads every Bot API answer with `Response[<the method's return type>]`, a pydantic
generic model built on first use. pydantic caches it only weakly, and a model class sits
in reference cycles, so every full garbage collection frees it and the next call builds
it again: schema generation, a few milliseconds each time. Under load that was 11 % of
the service's CPU (py-spy, bench/). Holding one strong reference per method type makes
the first build the only one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod


class KeepResponseModels(BaseRequestMiddleware):
    def __init__(self) -> None:
        self.models: dict[type[Any], Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self.models:
            self.models[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
