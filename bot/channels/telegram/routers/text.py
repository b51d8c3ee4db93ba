"""Free text: an answer to the current question, or an intent such as a status check."""

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.channels.telegram.respond import TelegramResponder
from dialogues import Text


async def on_text(message: Message, bot: Bot, responder: TelegramResponder) -> None:
    await responder.on_message(message, bot, Text(text=message.text or ""))


def make_router() -> Router:
    router = Router(name="text")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_text, F.text)
    return router
