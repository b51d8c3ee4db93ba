"""Inline button presses. Data that is not ours (forged, from an old version) is stale."""

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery

from bot.telegram.callbacks import FlowButton
from bot.telegram.respond import TelegramResponder
from dialogues import Press

router = Router(name="buttons")
router.callback_query.filter(F.message.chat.type == "private")


@router.callback_query(FlowButton.filter())
async def on_button(
    query: CallbackQuery, callback_data: FlowButton, bot: Bot, responder: TelegramResponder
) -> None:
    await responder.on_press(query, bot, Press(turn=callback_data.turn, value=callback_data.value))


@router.callback_query()
async def on_foreign_button(query: CallbackQuery, bot: Bot, responder: TelegramResponder) -> None:
    # turn -1 is never current, so the engine answers "that button is no longer valid".
    await responder.on_press(query, bot, Press(turn=-1, value="-"))
