"""WhatsApp as the service runs it: the Graph API client, the channel, and the webhook on
its own host and port (`whatsapp.webhook_*`), so a reverse proxy can expose just this
path to Meta and keep the console private."""

from __future__ import annotations

import logging

from bot.channels.http.server import WebServer, make_app
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.client import GraphClient
from bot.channels.whatsapp.webhook import Webhook

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0


class WhatsAppService:
    def __init__(
        self, client: GraphClient, channel: WhatsAppChannel, webhook: Webhook, host: str, port: int
    ) -> None:
        """`host`, `port`: the webhook's own address (`whatsapp.webhook_*`)."""
        self.client = client
        self.channel = channel
        self.webhook = webhook
        self.server = WebServer(make_app(self.webhook.routes()), host, port)

    @property
    def url(self) -> str:
        return f"{self.server.url}{self.webhook.path}"

    async def start(self) -> None:
        await self.server.start()
        log.info("WhatsApp: webhook on %s", self.url)

    async def stop(self) -> None:
        await self.server.stop()
        await self.channel.drain(DRAIN_SECONDS)
        await self.client.close()
