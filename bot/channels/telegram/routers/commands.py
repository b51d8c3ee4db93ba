"""Slash commands. Known ones and unknown ones alike go to the engine, which answers."""

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.channels.telegram.respond import TelegramResponder
from dialogues import Command


async def on_command(message: Message, bot: Bot, responder: TelegramResponder) -> None:
    name, _, arg = (message.text or "").partition(" ")
    name = name[1:].split("@", 1)[0].lower()
    await responder.on_message(message, bot, Command(name=name, arg=arg.strip()))


def make_router() -> Router:
    router = Router(name="commands")
    router.message.filter(F.chat.type == "private")
    router.message.register(on_command, F.text.startswith("/"))
    return router
