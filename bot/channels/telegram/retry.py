"""Retries for transient Bot API failures, as a request middleware.

aiogram does not retry by itself. 429 carries `retry_after`, which Telegram expects us to
honour exactly; 5xx, a garbled gateway page and network errors get exponential backoff.
A 400 is our own mistake and is never retried.

While the service stops (SIGTERM at a deploy), a request cut off by the closing session is
not a fault: it is neither retried nor logged as a warning (operators alert on those).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

log = logging.getLogger(__name__)

TRANSIENT = (TelegramServerError, TelegramNetworkError, ClientDecodeError)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.stopping = stopping

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts:
                    raise
                delay = min(float(exc.retry_after), self.max_delay)
                log.warning("Bot API rate limit on %s; retrying in %.1fs", _name(method), delay)
            except TRANSIENT as exc:
                if self.stopping():
                    log.debug("Bot API %s on %s while stopping", type(exc).__name__, _name(method))
                    raise
                if attempt == self.attempts:
                    raise
                delay = self._backoff(attempt)
                log.warning(
                    "Bot API %s on %s; retry %d in %.1fs",
                    type(exc).__name__,
                    _name(method),
                    attempt,
                    delay,
                )
            await self.sleep(delay)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        delay = self.base_delay * 2.0 ** (attempt - 1)
        return min(delay * (1 + random.random() / 2), self.max_delay)  # noqa: S311 - jitter


def _name(method: object) -> str:
    return type(method).__name__
