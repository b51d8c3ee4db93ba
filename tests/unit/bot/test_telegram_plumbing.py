"""The Telegram layer's cross-cutting parts, each on its own."""

from __future__ import annotations

import gc
import logging
import weakref
from typing import Any

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetChat, Response, SendMessage
from aiogram.types import Chat, Message

from bot.app.logs import RedactingFormatter
from bot.channels.telegram.middlewares import FloodControl, OneTurnPerChat
from bot.channels.telegram.response_models import KeepResponseModels
from bot.channels.telegram.retry import RetryMiddleware

METHOD = SendMessage(chat_id=1, text="hi")


class Flaky:
    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self, bot: Any, method: Any) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def middleware(slept: list[float], attempts: int = 5) -> RetryMiddleware:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return RetryMiddleware(attempts=attempts, base_delay=0.5, sleep=sleep)


async def test_429_waits_exactly_retry_after() -> None:
    slept: list[float] = []
    flaky = Flaky(TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=7))
    assert await middleware(slept)(flaky, None, METHOD) == "ok"  # type: ignore[arg-type,comparison-overlap]
    assert (flaky.calls, slept) == (2, [7.0])


@pytest.mark.parametrize(
    "failure",
    [
        TelegramServerError(METHOD, "Bad Gateway"),
        TelegramNetworkError(METHOD, "timeout"),
        ClientDecodeError("Failed to decode object", ValueError(), "<html>502</html>"),
    ],
)
async def test_transient_failures_back_off_and_recover(failure: Exception) -> None:
    slept: list[float] = []
    flaky = Flaky(failure, failure)
    assert await middleware(slept)(flaky, None, METHOD) == "ok"  # type: ignore[arg-type,comparison-overlap]
    assert flaky.calls == 3
    assert slept[0] >= 0.5 and slept[1] >= 1.0  # grows


async def test_gives_up_after_the_last_attempt() -> None:
    slept: list[float] = []
    flaky = Flaky(*[TelegramServerError(METHOD, "down")] * 3)
    with pytest.raises(TelegramServerError):
        await middleware(slept, attempts=3)(flaky, None, METHOD)  # type: ignore[arg-type]
    assert flaky.calls == 3


async def test_bad_request_is_never_retried() -> None:
    slept: list[float] = []
    flaky = Flaky(TelegramBadRequest(METHOD, "Bad Request: chat not found"))
    with pytest.raises(TelegramBadRequest):
        await middleware(slept)(flaky, None, METHOD)  # type: ignore[arg-type]
    assert (flaky.calls, slept) == (1, [])


async def test_while_stopping_a_cut_off_request_is_neither_retried_nor_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SIGTERM closes the session under a long poll; the TelegramNetworkError that
    follows is the stop itself, not a fault to alert on."""
    stopping = False
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    retry = RetryMiddleware(attempts=5, base_delay=0.5, sleep=sleep, stopping=lambda: stopping)
    flaky = Flaky(TelegramNetworkError(METHOD, "Connection closed"))
    with caplog.at_level(logging.DEBUG, logger="bot.channels.telegram.retry"):
        assert await retry(flaky, None, METHOD) == "ok"  # type: ignore[arg-type,comparison-overlap]
    assert any(r.levelno == logging.WARNING for r in caplog.records)  # running: warned
    caplog.clear()
    stopping = True
    flaky = Flaky(TelegramNetworkError(METHOD, "Connection closed"))
    with (
        caplog.at_level(logging.DEBUG, logger="bot.channels.telegram.retry"),
        pytest.raises(TelegramNetworkError),
    ):
        await retry(flaky, None, METHOD)  # type: ignore[arg-type]
    assert flaky.calls == 1 and slept == [slept[0]]  # no second try, no second wait
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def message(chat_id: int) -> Message:
    return Message.model_construct(
        message_id=1, date=0, chat=Chat(id=chat_id, type="private"), text="x"
    )


async def test_flood_control_warns_once_then_drops() -> None:
    warned: list[int] = []

    async def warn(event: Any) -> None:
        warned.append(event.chat.id)

    handled: list[int] = []

    async def handler(event: Any, data: dict[str, Any]) -> None:
        handled.append(event.chat.id)

    flood = FloodControl(limit=3, warn=warn)
    for _ in range(6):
        await flood(handler, message(1), {})
    await flood(handler, message(2), {})
    assert handled == [1, 1, 1, 2]
    assert warned == [1]


async def test_turns_of_one_chat_run_in_order_other_chats_alongside() -> None:
    import asyncio

    serial = OneTurnPerChat()
    log: list[str] = []

    async def handler(event: Any, data: dict[str, Any]) -> None:
        log.append(f"start {event.chat.id}")
        await asyncio.sleep(0.05)
        log.append(f"end {event.chat.id}")

    await asyncio.gather(
        serial(handler, message(1), {}),
        serial(handler, message(1), {}),
        serial(handler, message(2), {}),
    )
    first_chat = [entry for entry in log if entry.endswith(" 1")]
    assert first_chat == ["start 1", "end 1", "start 1", "end 1"]
    assert log.index("start 2") < log.index("end 1")  # chat 2 did not wait for chat 1
    assert serial.one.locks == {}  # nothing kept once idle


def test_tracebacks_in_logs_withhold_the_exception_message() -> None:
    formatter = RedactingFormatter("%(message)s")
    secret = "-".join(["SECRET", "STORY", "TEXT"])  # not on the source line that raises
    try:
        raise KeyError(secret)
    except KeyError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        import sys

        record.exc_info = sys.exc_info()
    out = formatter.format(record)
    assert "KeyError: <message withheld>" in out
    assert "SECRET-STORY-TEXT" not in out


def _response_model(returning: Any) -> weakref.ref[Any]:
    # Built inside a function, as aiogram does: pydantic pins a generic model in the
    # caller's globals only when it is built at module level.
    return weakref.ref(Response[returning])


async def test_response_models_survive_garbage_collection() -> None:
    """aiogram parses each answer with Response[<return type>]; pydantic caches that
    class only weakly, so a full collection frees it and the next call builds the model
    again (bench/ measured that at ~11 % of the service's CPU)."""
    method = GetChat(chat_id=1)
    unkept = _response_model(method.__returning__)
    gc.collect()
    assert unkept() is None  # what happens without KeepResponseModels

    keep = KeepResponseModels()

    async def answered(bot: Any, m: Any) -> str:
        return "ok"

    assert await keep(answered, None, method) == "ok"  # type: ignore[arg-type,comparison-overlap]
    kept = _response_model(method.__returning__)
    gc.collect()
    assert kept() is not None and kept() is keep.models[GetChat]
