"""Inline button presses. Data that is not ours (forged, from an old version) is stale."""

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery

from bot.channels.telegram.callbacks import FlowButton
from bot.channels.telegram.respond import TelegramResponder
from dialogues import Press


async def on_button(
    query: CallbackQuery, callback_data: FlowButton, bot: Bot, responder: TelegramResponder
) -> None:
    await responder.on_press(query, bot, Press(turn=callback_data.turn, value=callback_data.value))


async def on_foreign_button(query: CallbackQuery, bot: Bot, responder: TelegramResponder) -> None:
    # turn -1 is never current, so the engine answers "that button is no longer valid".
    await responder.on_press(query, bot, Press(turn=-1, value="-"))


def make_router() -> Router:
    router = Router(name="buttons")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(on_button, FlowButton.filter())
    router.callback_query.register(on_foreign_button)
    return router
