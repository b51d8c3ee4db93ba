"""A flood from one chat: thousands of messages as fast as the line takes them, while
other students file their reports (the issue: 10,000).

The flooding chat gets answers up to the per-minute limit, then one message that says it
is sending too fast, then silence; the others finish as if nothing happened. 300
messages in `make test`; the 10,000 of the issue behind the `long` marker.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app.settings import Settings
from standins import BotAPIStandIn
from tests.support.faults import ChatWatch, Wanderer
from tests.support.harness import TOKEN, RunningService

FLOODER = 6666
LIMIT = 30  # conversation.messages_per_minute, the default
SLOW_DOWN = "heel snel"  # nl rate_limited: "Je stuurt heel snel berichten. Wacht even, …"


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin
    assert standin.violations == [], standin.violations


@pytest.fixture
def settings(make_settings: Callable[..., Settings], api: BotAPIStandIn) -> Settings:
    return make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1},
        conversation={"messages_per_minute": LIMIT},
    )


async def flood(api: BotAPIStandIn, settings: Settings, messages: int) -> None:
    watch = ChatWatch(api)
    rng = random.Random(11)
    others = [Wanderer(api, watch, 7000 + i, random.Random(rng.getrandbits(32))) for i in range(2)]
    async with RunningService(settings, api):
        walking = asyncio.gather(*(w.run(timeout=240) for w in others))
        for n in range(messages):
            api.push_text(FLOODER, f"spam {n} <b>&")
            if n % 500 == 0:
                await asyncio.sleep(0)  # the stand-in serves while we push
        await asyncio.wait_for(walking, 300)
        await api.wait_idle(timeout=120, quiet=1.0)
    texts = api.texts_to(FLOODER)
    warnings = [t for t in texts if SLOW_DOWN in t]
    assert len(warnings) == 1, f"{len(warnings)} warnings"
    assert texts[-1] == warnings[0]  # and nothing after it
    assert len(texts) <= 3 * LIMIT + 1  # the first LIMIT inputs, at most three replies each
    for other in others:
        assert other.finished
        assert not any(SLOW_DOWN in t for t in api.texts_to(other.chat_id))


async def test_a_flood_of_300_is_slowed_down_and_others_go_on(
    api: BotAPIStandIn, settings: Settings
) -> None:
    await flood(api, settings, 300)


@pytest.mark.long
async def test_a_flood_of_10000_is_slowed_down_and_others_go_on(
    api: BotAPIStandIn, settings: Settings
) -> None:
    await flood(api, settings, 10_000)
