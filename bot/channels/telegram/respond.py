"""Runs one student turn for a Telegram chat and shows the result there."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from bot.channels.telegram.render import keyboard
from bot.channels.telegram.unread import unread
from bot.intake.student_actions import FetchFile
from bot.intake.turns import Channel, TurnResult, Turns
from dialogues import AFTER_FILING, Input, Press, Reply
from dialogues.texts import Texts
from storage.repositories.conversations import ChatRef

log = logging.getLogger(__name__)

CHANNEL = "telegram"
DELETE_BATCH = 100
# The Bot API deletes a message only while it is younger than this (deleteMessage): "wipe
# this conversation" cannot reach older ones. /privacy (tg_privacy) and chat_erase_failed
# tell the student so, with this number.
DELETE_WINDOW_HOURS = 48


class TelegramResponder:
    def __init__(self, turns: Turns) -> None:
        self.turns = turns

    def chat_key(self, chat_id: int) -> ChatRef:
        return self.turns.chat_key(CHANNEL, str(chat_id))

    async def on_message(self, message: Message, bot: Bot, inp: Input) -> None:
        lang = message.from_user.language_code if message.from_user else None
        result = await self._run(bot, message.chat.id, inp, lang, first_msg=message.message_id)
        if result.hide_input:
            await _quietly(bot.delete_message(message.chat.id, message.message_id))
        await self._show(bot, message.chat.id, result, pressed=None)

    async def on_press(self, query: CallbackQuery, bot: Bot, press: Press) -> None:
        await _quietly(unread(query.answer()))
        message = query.message
        if not isinstance(message, Message):
            return
        lang = query.from_user.language_code
        first = message.message_id
        if press.value in AFTER_FILING:
            # Nothing is stored after filing: the button itself says where the chat began.
            first = min(max(press.turn, 1), message.message_id)
        result = await self._run(bot, message.chat.id, press, lang, first_msg=first)
        await self._show(bot, message.chat.id, result, pressed=message)

    async def _run(
        self, bot: Bot, chat_id: int, inp: Input, lang: str | None, *, first_msg: int
    ) -> TurnResult:
        return await self.turns.run(
            self.chat_key(chat_id),
            inp,
            lang_hint=lang,
            channel_notes={"first_msg": first_msg},
            channel=Channel(
                push_address=f"{CHANNEL}:{chat_id}", fetch_file=_fetcher(bot), name=CHANNEL
            ),
        )

    async def _show(
        self, bot: Bot, chat_id: int, result: TurnResult, *, pressed: Message | None
    ) -> None:
        if result.erase_chat and pressed is not None:
            await self._erase(bot, chat_id, result, last=pressed.message_id)
            return
        replies = list(result.replies)
        if pressed is not None and result.replace_question and replies:
            await self._replace(bot, pressed, replies.pop(0))
        elif pressed is not None:
            await _quietly(
                unread(
                    bot.edit_message_reply_markup(
                        chat_id=chat_id, message_id=pressed.message_id, reply_markup=None
                    )
                )
            )
        first = int(result.channel.get("first_msg", 0))
        texts = self.turns.texts(result.lang)
        for reply in replies:
            await send(bot, chat_id, _erase_from(with_telegram_privacy(reply, texts), first))

    async def _replace(self, bot: Bot, pressed: Message, reply: Reply) -> None:
        """A multi-select toggle redraws its own message instead of adding a new one."""
        await _quietly(
            unread(
                bot.edit_message_text(
                    text=reply.text,
                    chat_id=pressed.chat.id,
                    message_id=pressed.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(reply),
                )
            )
        )

    async def _erase(self, bot: Bot, chat_id: int, result: TurnResult, *, last: int) -> None:
        first = int(result.channel.get("first_msg", last))
        ids = list(range(first, last + 1))
        ok = True
        for start in range(0, len(ids), DELETE_BATCH):
            try:
                await bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
            except TelegramBadRequest:
                ok = False
        texts = self.turns.texts(result.lang)
        await bot.send_message(chat_id, texts.get("chat_erased" if ok else "chat_erase_failed"))
        for reply in result.replies:  # the ways on: no dead end after deleting
            await send(bot, chat_id, reply)


def with_telegram_privacy(reply: Reply, texts: Texts) -> Reply:
    """/privacy on Telegram adds what Telegram itself keeps (tg_privacy): bot chats are
    not end-to-end encrypted, and deleting reaches back only DELETE_WINDOW_HOURS."""
    if reply.key != "privacy":
        return reply
    return replace(reply, text=f"{reply.text}\n\n{texts.get('tg_privacy')}")


def _erase_from(reply: Reply, first_msg: int) -> Reply:
    """The buttons under "filed" work with no stored conversation, so the erase button
    carries the chat's first message id in its turn (the engine ignores the turn of
    these two buttons when nothing is stored)."""
    if reply.key != "filed" or first_msg <= 0:
        return reply
    rows = tuple(
        tuple(replace(b, turn=first_msg) if b.value in AFTER_FILING else b for b in row)
        for row in reply.buttons
    )
    return replace(reply, buttons=rows)


def _fetcher(bot: Bot) -> FetchFile:
    async def fetch(file_id: str) -> bytes:
        got = await bot.download(file_id)
        return got.read() if got is not None else b""

    return fetch


async def send(bot: Bot, chat_id: int, reply: Reply) -> None:
    """The sent message is not read back (bot/channels/telegram/unread.py)."""
    await unread(
        bot.send_message(
            chat_id,
            reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            protect_content=reply.protect,
        )
    )


async def _quietly(call: Any) -> None:
    """Cosmetic calls (answering a button, tidying a keyboard) must not break a turn."""
    try:
        await call
    except TelegramBadRequest as exc:
        log.debug("cosmetic Bot API call refused: %s", exc.message)
