"""An edited message: the bot read the first version, and the report keeps it. Say so,
or the student believes the correction went in."""

from aiogram import F, Router
from aiogram.types import Message

from bot.channels.telegram.respond import TelegramResponder
from dialogues import lang_from_hint
from storage.repositories.updates import UpdateLog


async def on_edit(message: Message, responder: TelegramResponder, update_log: UpdateLog) -> None:
    await update_log.claim()  # a second delivery stops here (OncePerUpdate)
    hint = message.from_user.language_code if message.from_user else None
    await message.answer(responder.turns.texts(lang_from_hint(hint)).get("edit_not_seen"))


def make_router() -> Router:
    router = Router(name="edits")
    router.edited_message.filter(F.chat.type == "private")
    router.edited_message.register(on_edit)
    return router
