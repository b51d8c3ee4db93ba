"""Engine replies into Telegram messages."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.callbacks import FlowButton
from dialogues import Reply


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=b.label, callback_data=FlowButton(turn=b.turn, value=b.value).pack()
                )
                for b in row
            ]
            for row in reply.buttons
        ]
    )
