"""Builds the aiogram bot and dispatcher, and runs them by polling or behind a webhook.

It is handed what it uses (the turns, the update log, the receipt gate, plain settings
values); `bot/app` reads the settings and the container and wires them in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, ErrorEvent, Message, TelegramObject
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.channels.telegram.middlewares import (
    FloodControl,
    InFlight,
    OncePerUpdate,
    OneTurnPerChat,
    ReceiptGateMiddleware,
)
from bot.channels.telegram.respond import TelegramResponder
from bot.channels.telegram.response_models import KeepResponseModels
from bot.channels.telegram.retry import RetryMiddleware
from bot.channels.telegram.routers import all_routers
from bot.channels.telegram.unread import UnreadAwareSession
from bot.intake.receipt_gate import ReceiptGate
from bot.intake.turns import Turns
from dialogues import COMMANDS, Texts, lang_from_hint
from storage.repositories.updates import UpdateLog

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # on stopping, how long the updates being handled may take to finish


@dataclass(frozen=True)
class Polling:
    """Long polling (`telegram.*`): the API's address, the poll's timeout, and how many
    updates one process handles at once."""

    api_base: str
    timeout: int
    concurrent_updates: int


@dataclass(frozen=True)
class Hook:
    """Webhook mode (`telegram.webhook_*`): where Telegram delivers, and its secret."""

    url: str
    secret: str
    host: str
    port: int
    path: str


def make_bot(token: str, api_base: str, stopping: Callable[[], bool] = lambda: False) -> Bot:
    """`stopping`: true once the service stops; requests cut off then are not retried."""
    session = UnreadAwareSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    session.middleware(RetryMiddleware(stopping=stopping))
    session.middleware(KeepResponseModels())
    return Bot(token, session=session)


def make_dispatcher(
    turns: Turns, updates: UpdateLog, gate: ReceiptGate, *, messages_per_minute: int
) -> Dispatcher:
    """`messages_per_minute`: the flood bound per chat (`conversation.*`)."""
    responder = TelegramResponder(turns)
    # No FSM: the conversation's state is the service's own (bot/intake/turns.py), so aiogram's
    # FSM middleware would only look up an empty state on every update.
    dp = Dispatcher(responder=responder, update_log=updates, in_flight=InFlight(), disable_fsm=True)
    dp.update.outer_middleware(dp["in_flight"])  # first: it covers the other middlewares
    # Before the update log: a status check waiting its turn does no database work yet.
    dp.update.outer_middleware(ReceiptGateMiddleware(gate))
    dp.update.outer_middleware(OncePerUpdate(updates))
    flood = FloodControl(messages_per_minute, _warn_flood(turns, updates))
    serial = OneTurnPerChat()
    for observer in (dp.message, dp.edited_message, dp.callback_query):
        # Serial first: the flood check then runs in the chat's turn order, so the "slow
        # down" message comes after the answers to the inputs let through, not among them.
        observer.outer_middleware(serial)
        observer.outer_middleware(flood)
    dp.include_routers(*all_routers())
    dp.errors.register(_on_error(turns))
    return dp


def _warn_flood(turns: Turns, updates: UpdateLog) -> Any:
    async def warn(event: TelegramObject) -> None:
        if isinstance(event, Message):
            await updates.claim()  # a second delivery stops here (OncePerUpdate)
            await event.answer(_texts(turns, event).get("rate_limited"))

    return warn


def _texts(turns: Turns, message: Message) -> Texts:
    hint = message.from_user.language_code if message.from_user else None
    return turns.texts(lang_from_hint(hint))


def _on_error(turns: Turns) -> Any:
    async def on_error(event: ErrorEvent) -> bool:
        log.error(
            "handling an update failed: %s",
            type(event.exception).__name__,
            exc_info=event.exception,
        )
        message = event.update.message or (
            event.update.callback_query.message if event.update.callback_query else None
        )
        if isinstance(message, Message):
            try:
                await message.answer(_texts(turns, message).get("error_try_again"))
            except Exception:
                log.warning("could not tell the student about the failure")
        return True

    return on_error


async def set_commands(bot: Bot, turns: Turns) -> None:
    for lang in ("nl", "en"):
        texts = turns.texts(lang)
        commands = [BotCommand(command=c, description=texts.get(f"cmd_{c}")) for c in COMMANDS]
        await bot.set_my_commands(commands, language_code=None if lang == "nl" else lang)


async def run_telegram(
    dp: Dispatcher,
    bot: Bot,
    turns: Turns,
    way: Polling | Hook,
    stop: asyncio.Event,
    *,
    shared_port: bool = False,
) -> None:
    """`shared_port`: one of several workers on this machine, which share the webhook's
    port (SO_REUSEPORT); the proxy or the kernel spreads deliveries over them."""
    await set_commands(bot, turns)
    if isinstance(way, Hook):
        await _run_webhook(dp, bot, way, stop, shared_port=shared_port)
    else:
        await _run_polling(dp, bot, way, stop)


async def _run_polling(dp: Dispatcher, bot: Bot, t: Polling, stop: asyncio.Event) -> None:
    await bot.delete_webhook(drop_pending_updates=False)
    log.info("Telegram: polling %s", t.api_base)
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=t.timeout,
            allowed_updates=dp.resolve_used_update_types(),
            tasks_concurrency_limit=t.concurrent_updates,
        )
    )
    try:
        await _until(stop, polling)
    finally:  # also when the service cancels this task: polling must not outlive it
        if not polling.done():
            with contextlib.suppress(RuntimeError):  # "not started": stopped before it began
                await dp.stop_polling()
            await asyncio.wait({polling}, timeout=DRAIN_SECONDS)
            polling.cancel()
        await dp["in_flight"].drain(DRAIN_SECONDS)


async def _run_webhook(
    dp: Dispatcher, bot: Bot, t: Hook, stop: asyncio.Event, *, shared_port: bool
) -> None:
    secret = t.secret
    app = web.Application()
    # Answer the delivery only once its turn is done (committed, replied): aiogram's default
    # answers 200 first and handles in the background, so a replica that dies in between
    # would lose an update Telegram believes delivered. A failed delivery is retried by
    # Telegram (or the proxy) on any replica, and `OncePerUpdate` runs it once.
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=t.path)
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, t.host, t.port, reuse_port=shared_port).start()
    await bot.set_webhook(
        t.url, secret_token=secret, allowed_updates=dp.resolve_used_update_types()
    )
    log.info("Telegram: webhook on %s:%d%s", t.host, t.port, t.path)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await dp["in_flight"].drain(DRAIN_SECONDS)


async def _until(stop: asyncio.Event, task: asyncio.Task[Any]) -> None:
    waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task in done:
        task.result()
