"""/privacy on Telegram, through the real aiogram bot and the Bot API stand-in: the
shared text plus what Telegram itself keeps, with the channel's deletion window."""

from __future__ import annotations

from bot.app.settings import Settings
from bot.channels.telegram.respond import DELETE_WINDOW_HOURS
from standins import BotAPIStandIn
from tests.support.harness import RunningService, Student

CHAT = 4343


async def test_privacy_on_telegram_says_what_telegram_keeps(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        await student.say("/start")
        shown = await student.say("/privacy")
    privacy = next(t for t in shown if "Je privacy" in t)
    assert "Via Telegram" in privacy and "end-to-end" in privacy, privacy
    assert f"{DELETE_WINDOW_HOURS} uur" in privacy and "webchat" in privacy
    assert "vertrouwenspersonen" in privacy and "coördinator" in privacy
