"""The tests' Bot API stand-in, unchanged in what it checks, plus what a load test needs:
a student learns the moment the bot's answer to their update arrives, without scanning
the call log (which the tests keep whole, and which would make waiting O(calls))."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from standins import BotAPIStandIn

ANSWERS = frozenset({"sendMessage", "editMessageText"})  # the calls that show a text


class BenchStandIn(BotAPIStandIn):
    """Full validation as in the tests; `expect(chat)` resolves with (time, message) when
    the next text-bearing call to that chat has been handled."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        # Only the tail of the call log: the tests need it whole, a 15-minute load does not.
        self.calls = deque(maxlen=5000)  # type: ignore[assignment]
        self.handled = 0
        self._waiting: dict[int, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        inner = self.telegram.call

        async def call(method: str, params: dict[str, Any]) -> Any:
            result = await inner(method, params)
            self.handled += 1
            if method in ANSWERS and isinstance(result, dict):
                future = self._waiting.pop(params.get("chat_id"), None)  # type: ignore[arg-type]
                if future is not None and not future.done():
                    future.set_result((time.perf_counter(), result))
            return result

        self.telegram.call = call  # type: ignore[method-assign]

    def expect(self, chat_id: int) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        future: asyncio.Future[tuple[float, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting[chat_id] = future
        return future

    def forget(self, chat_id: int) -> None:
        self._waiting.pop(chat_id, None)
