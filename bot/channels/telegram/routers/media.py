"""Photos and documents become attachments (the engine decides whether one is welcome:
only while answering an adviser); anything else — voice, stickers, … — gets a kind word,
and nothing is stored."""

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.channels.telegram.respond import TelegramResponder
from dialogues import Attachment, Input, Unsupported


def as_input(message: Message) -> Input:
    if message.photo:
        largest = message.photo[-1]
        return Attachment("photo", largest.file_id, "foto.jpg", largest.file_size or 0)
    if message.document:
        doc = message.document
        return Attachment("document", doc.file_id, doc.file_name or "bestand", doc.file_size or 0)
    return Unsupported(kind=str(message.content_type))


async def on_other(message: Message, bot: Bot, responder: TelegramResponder) -> None:
    await responder.on_message(message, bot, as_input(message))


def make_router() -> Router:
    router = Router(name="media")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_other)
    return router
