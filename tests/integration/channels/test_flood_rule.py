"""The one counting rule of every sliding-window limiter (`vocabulary.window`), on every
channel's own limiter: a refused arrival counts too.

So a sender who keeps going over the limit stays refused until quiet (it does not get
`limit` through every window at full rate), a sender at the limit's pace is never
refused, and one quiet window always opens it again. Telegram's flood control counted
refused messages and the web chat's did not; here each one must give the same answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Chat, Message

from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from bot.app.wiring import turns
from bot.channels.telegram.middlewares import FloodControl
from bot.channels.webchat.channel import ChatSocket
from bot.channels.whatsapp.channel import WhatsAppChannel, WhatsAppRules
from bot.intake.guessing import Claim, GuessLimits
from escalation.console.throttle import Attempt, LoginThrottle
from tests.conftest import base_config, save_config
from vocabulary.window import SlidingWindows

LIMIT = 3
SPAN = 60.0  # every limiter here counts over a minute

Allow = Callable[[float], Awaitable[bool]]  # an arrival at this second: let in?


async def steady(allow: Allow) -> list[float]:
    """One arrival every SPAN / LIMIT seconds for five minutes: the refused ones."""
    step = SPAN / LIMIT
    return [t for t in (i * step for i in range(int(300 / step))) if not await allow(t)]


async def flood(allow: Allow) -> dict[str, list[bool]]:
    """One a second for 70 seconds, quiet for a minute, then one more."""
    answers = [await allow(float(t)) for t in range(70)]
    return {
        "first": answers[:LIMIT],
        "rest of the first minute": answers[LIMIT:60],
        "still going after a minute": answers[60:],
        "after a quiet minute": [await allow(69.0 + SPAN)],
    }


def check(refused_when_steady: list[float], flooded: dict[str, list[bool]]) -> None:
    assert refused_when_steady == []
    assert flooded["first"] == [True] * LIMIT
    assert not any(flooded["rest of the first minute"])
    # Had refused ones not counted, the first minute's arrivals would have left and
    # the flood would get LIMIT more through here.
    assert not any(flooded["still going after a minute"])
    assert flooded["after a quiet minute"] == [True]


async def run(make: Callable[[], Allow]) -> None:
    check(await steady(make()), await flood(make()))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    data = base_config(tmp_path)
    data["conversation"] = {**data.get("conversation", {}), "messages_per_minute": LIMIT}
    data["web"] = {**data.get("web", {}), "messages_per_minute": LIMIT}
    path = tmp_path / "config.yaml"
    save_config(path, data)
    c = await build_container(load_settings(path))
    try:
        yield c
    finally:
        await c.close()


async def test_telegram(container: Container) -> None:
    def make() -> Allow:
        clock = Clock()
        handled: list[int] = []

        async def warn(event: Any) -> None:
            pass

        async def handler(event: Any, data: dict[str, Any]) -> None:
            handled.append(event.chat.id)

        limit = container.settings.conversation.messages_per_minute
        middleware = FloodControl(limit, warn, clock)
        message = Message.model_construct(
            message_id=1, date=0, chat=Chat(id=7, type="private"), text="x"
        )

        async def allow(at: float) -> bool:
            clock.now, before = at, len(handled)
            await middleware(handler, message, {})
            return len(handled) > before

        return allow

    await run(make)


async def test_web_chat(container: Container) -> None:
    def make() -> Allow:
        socket = ChatSocket(turns(container), container.settings.web, secure=False)
        clock = Clock()
        socket.flood.clock = clock

        async def allow(at: float) -> bool:
            clock.now = at
            return socket.flood.allow("session")

        return allow

    await run(make)


async def test_whatsapp(container: Container) -> None:
    def make() -> Allow:
        clock = Clock()
        rules = WhatsAppRules(
            messages_per_minute=container.settings.conversation.messages_per_minute
        )
        channel = WhatsAppChannel(
            turns(container),
            container.updates,
            container.keys.server,
            None,  # type: ignore[arg-type]  # nothing is sent here
            rules,
            clock=clock,
        )

        async def allow(at: float) -> bool:
            clock.now = at
            return channel.flood.allow("chat")

        return allow

    await run(make)


async def test_receipt_guessing() -> None:
    def make() -> Allow:
        clock = Clock()
        limits = GuessLimits(per_client=LIMIT, overall=1000, window=SPAN, clock=clock)

        async def allow(at: float) -> bool:
            clock.now = at
            return isinstance(limits.claim("203.0.113.9"), Claim)

        return allow

    await run(make)


async def test_console_login_throttle() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def make() -> Allow:
        throttle = LoginThrottle(per_pair=LIMIT, per_source=1000, window=timedelta(seconds=SPAN))

        async def allow(at: float) -> bool:
            when = start + timedelta(seconds=at)
            return isinstance(throttle.claim("a@example.nl", "203.0.113.9", when), Attempt)

        return allow

    await run(make)


def test_a_flood_costs_no_more_memory_than_the_limit() -> None:
    windows: SlidingWindows[str, float] = SlidingWindows(LIMIT)
    for t in range(10_000):
        windows.admit("k", float(t) / 100, float(t) / 100 + SPAN)
    assert windows.size("k") == LIMIT
    assert windows.full("k", 99.0)
    assert not windows.full("k", 99.99 + SPAN)
