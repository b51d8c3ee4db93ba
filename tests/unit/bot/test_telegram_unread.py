"""bot/channels/telegram/unread.py: answers nobody reads are not parsed; errors still are."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramRetryAfter,
)
from aiogram.methods import Response, SendMessage

from bot.channels.telegram.unread import _UNREAD, UnreadAwareSession, unread

TOKEN = "42:TEST"
# ok, but no Message at all: only a caller who reads nothing can accept it
NOT_A_MESSAGE = json.dumps({"ok": True, "result": {"nothing": "like a message"}})


@pytest.fixture
async def session() -> UnreadAwareSession:
    return UnreadAwareSession()


def _check(session: UnreadAwareSession, status: int, content: str) -> Response[Any]:
    method = SendMessage(chat_id=1, text="x")
    return session.check_response(Bot(TOKEN, session=session), method, status, content)


async def test_an_unread_answer_is_not_parsed(session: UnreadAwareSession) -> None:
    token = _UNREAD.set(True)
    try:
        response = _check(session, 200, NOT_A_MESSAGE)
    finally:
        _UNREAD.reset(token)
    assert response.ok is True and response.result is None


async def test_a_read_answer_is_still_parsed_in_full(session: UnreadAwareSession) -> None:
    with pytest.raises(ClientDecodeError):
        _check(session, 200, NOT_A_MESSAGE)


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (
            400,
            {"ok": False, "error_code": 400, "description": "Bad Request: x"},
            TelegramBadRequest,
        ),
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 3},
            },
            TelegramRetryAfter,
        ),
        (
            200,
            {"ok": False, "error_code": 400, "description": "Bad Request: y"},
            TelegramAPIError,
        ),
    ],
)
async def test_errors_are_raised_as_before_when_unread(
    session: UnreadAwareSession, status: int, answer: dict[str, object], error: type[Exception]
) -> None:
    token = _UNREAD.set(True)
    try:
        with pytest.raises(error):
            _check(session, status, json.dumps(answer))
    finally:
        _UNREAD.reset(token)


async def test_the_promise_covers_only_the_call_it_wraps() -> None:
    seen: list[bool] = []

    async def call() -> None:
        seen.append(_UNREAD.get())

    await unread(call())
    await call()
    assert seen == [True, False]
