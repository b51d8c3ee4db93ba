"""Retries for transient Bot API failures, as a request middleware.

aiogram does not retry by itself. 429 carries `retry_after`, which Telegram expects us to
honour exactly; 5xx, a garbled gateway page and network errors get exponential backoff.
A 400 is our own mistake and is never retried. The schedule and the loop are the one
retry policy of the service (`vocabulary.retry`); this module only says which Bot API
errors are worth another try and how long Telegram asked us to wait.

While the service stops (SIGTERM at a deploy), a request cut off by the closing session is
not a fault: it is neither retried nor logged as a warning (operators alert on those).
"""

from __future__ import annotations

import asyncio
import logging
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

from vocabulary.retry import Backoff, retry

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
        self.backoff = Backoff(base_delay, max_delay)
        self.sleep = sleep
        self.stopping = stopping

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        def wait(exc: Exception, attempt: int) -> float | None:
            if isinstance(exc, TelegramRetryAfter):
                delay = self.backoff.asked(exc.retry_after)
                log.warning("Bot API rate limit on %s; retrying in %.1fs", _name(method), delay)
                return delay
            if not isinstance(exc, TRANSIENT):
                return None
            if self.stopping():
                log.debug("Bot API %s on %s while stopping", type(exc).__name__, _name(method))
                return None
            delay = self.backoff.delay(attempt)
            log.warning(
                "Bot API %s on %s; retry %d in %.1fs",
                type(exc).__name__,
                _name(method),
                attempt,
                delay,
            )
            return delay

        return await retry(
            lambda: make_request(bot, method), wait, attempts=self.attempts, sleep=self.sleep
        )


def _name(method: object) -> str:
    return type(method).__name__
