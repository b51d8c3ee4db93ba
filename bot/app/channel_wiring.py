"""Each channel built from the settings and the container, here and nowhere else.

A channel (`bot/channels/*`) never reads the settings or the container: it is handed its
turns, the stores it touches, and plain values. This module reads the sections and
checks what a channel cannot run without.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from bot.app.container import Container
from bot.app.settings import ConfigError, TelegramMode, TelegramSettings, WhatsAppSettings
from bot.app.wiring import turns
from bot.channels.webchat import chat_routes
from bot.channels.whatsapp.app import WhatsAppService
from bot.channels.whatsapp.channel import WhatsAppChannel, WhatsAppRules
from bot.channels.whatsapp.client import GraphAccount, GraphClient
from bot.channels.whatsapp.webhook import Webhook
from bot.intake.turns import Turns

# The Telegram channel (aiogram: about 125 MiB of pydantic models) is imported in the
# functions that build it, so a service without Telegram never holds it.
if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

    from bot.channels.telegram.app import Hook, Polling


def telegram_bot(t: TelegramSettings, stopping: Callable[[], bool] = lambda: False) -> Bot:
    """`stopping`: true once the service stops; requests cut off then are not retried."""
    from bot.channels.telegram.app import make_bot

    if t.token is None:
        raise ConfigError("telegram.token", "Telegram is enabled but has no token")
    return make_bot(t.token.get_secret_value(), t.api_base, stopping)


def telegram_dispatcher(c: Container, chat: Turns | None = None) -> Dispatcher:
    from bot.channels.telegram.app import make_dispatcher

    return make_dispatcher(
        chat or turns(c),
        c.updates,
        c.receipt_gate,
        messages_per_minute=c.settings.conversation.messages_per_minute,
    )


async def serve_telegram(
    c: Container, bot: Bot, stop: asyncio.Event, *, shared_port: bool = False
) -> None:
    """Polling or the webhook, as `telegram.mode` says, until `stop` is set."""
    from bot.channels.telegram.app import run_telegram

    way = telegram_way(c.settings.telegram)
    chat = turns(c)
    dp = telegram_dispatcher(c, chat)
    await run_telegram(dp, bot, chat, way, stop, shared_port=shared_port)


def telegram_way(t: TelegramSettings) -> Polling | Hook:
    from bot.channels.telegram.app import Hook, Polling

    if t.mode is not TelegramMode.WEBHOOK:
        return Polling(t.api_base, t.polling_timeout, t.concurrent_updates)
    if not t.webhook_url or t.webhook_secret is None:
        raise ConfigError("telegram.webhook_url", "webhook mode needs its URL and secret")
    return Hook(
        url=t.webhook_url,
        secret=t.webhook_secret.get_secret_value(),
        host=t.webhook_host,
        port=t.webhook_port,
        path=t.webhook_path,
    )


def web_chat_routes(c: Container) -> list[BaseRoute]:
    web = c.settings.web
    return chat_routes(turns(c), web, secure=web.base_url.startswith("https://"))


def whatsapp_service(c: Container) -> WhatsAppService:
    w = c.settings.whatsapp
    client = GraphClient(graph_account(w))
    rules = WhatsAppRules(
        messages_per_minute=c.settings.conversation.messages_per_minute,
        nudge_template=w.nudge_template,
        retry_base_seconds=w.retry_base_seconds,
    )
    channel = WhatsAppChannel(turns(c), c.updates, c.keys.server, client, rules)
    if w.app_secret is None or w.verify_token is None:
        raise ValueError("the WhatsApp webhook needs the app secret and the verify token")
    webhook = Webhook(
        app_secret=w.app_secret.get_secret_value(),
        verify_token=w.verify_token.get_secret_value(),
        path=w.webhook_path,
        channel=channel,
    )
    return WhatsAppService(client, channel, webhook, w.webhook_host, w.webhook_port)


def graph_account(w: WhatsAppSettings) -> GraphAccount:
    if w.access_token is None or w.phone_number_id is None:
        raise ValueError("WhatsApp needs an access token and a phone number id")
    return GraphAccount(
        access_token=w.access_token.get_secret_value(),
        phone_number_id=w.phone_number_id,
        api_base=w.api_base,
        api_version=w.api_version,
        retry_base_seconds=w.retry_base_seconds,
    )
