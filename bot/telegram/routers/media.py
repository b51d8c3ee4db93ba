"""Anything that is not text (photos, voice, stickers, …): a kind word, nothing stored."""

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.telegram.respond import TelegramResponder
from dialogues import Unsupported


async def on_other(message: Message, bot: Bot, responder: TelegramResponder) -> None:
    kind = str(message.content_type)
    await responder.on_message(message, bot, Unsupported(kind=kind))


def make_router() -> Router:
    router = Router(name="media")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_other)
    return router
