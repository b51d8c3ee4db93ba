"""The floor: a minimal aiogram bot that answers each message with its text and each
button press with a new message, both with one button to press next. Same aiogram, same
polling, same stand-in and load generator as the service — nothing else.

    python -m bench.echo_bot --api-base http://127.0.0.1:PORT --token 123:abc
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

BUTTON = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="verder", callback_data="echo")]]
)


def dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…", reply_markup=BUTTON)

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer("ok", reply_markup=BUTTON)

    return dp


async def main(api_base: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    dp = dispatcher()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(dp.stop_polling()))
    print("echo bot polling", flush=True)
    await dp.start_polling(bot, handle_signals=False, polling_timeout=10)
    await bot.session.close()


if __name__ == "__main__":
    args = argparse.ArgumentParser()
    args.add_argument("--api-base", required=True)
    args.add_argument("--token", required=True)
    ns = args.parse_args()
    asyncio.run(main(ns.api_base, ns.token))
