"""Bot API calls whose answers the service never reads, and a session that leaves those
answers unparsed.

aiogram turns every answer into its pydantic models (`Response[Message]`, with the bot
attached to each nested object). For a sendMessage that is the message with its whole
keyboard, and it was the largest single cost of a conversation turn: 14 % of the
service's CPU in the ramp (py-spy, bench/), for a `Message` nobody looked at. A call
awaited through `unread()` says "I will not read the result": a successful answer is
checked for `"ok": true` and the call returns None. Errors still go through aiogram's
own check, so flood waits, bad requests and retries behave exactly as before.

A context variable carries the promise from the caller to the session: it is set only
while that one call is awaited, in the caller's task, so no other call is affected.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod
    from aiogram.methods.base import TelegramType

_UNREAD: ContextVar[bool] = ContextVar("bot_api_result_unread", default=False)
# One answer for all: aiogram only reads `.result` from it. Made once, because a
# `Response[...]` built per call is a new pydantic model class each time (the weak
# generic cache, see response_models.py): schema generation on every answer.
_OK_UNREAD: Response[Any] = Response[Any].model_construct(ok=True, result=None)


async def unread(call: Awaitable[Any]) -> None:
    """Await a Bot API call whose result the caller does not use."""
    token = _UNREAD.set(True)
    try:
        await call
    finally:
        _UNREAD.reset(token)


class UnreadAwareSession(AiohttpSession):
    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        if _UNREAD.get() and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                data: Any = self.json_loads(content)
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("ok") is True:
                return _OK_UNREAD
        return super().check_response(bot, method, status_code, content)
