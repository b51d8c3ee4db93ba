"""Meta's webhook: the subscription check (GET) and the deliveries (POST).

Every POST is refused unless its X-Hub-Signature-256 is the HMAC of its exact raw bytes
under the app secret (checked in constant time in storage/crypto/webhook_signature.py),
and unless it is small: Meta's deliveries are a few kB, so anything over `MAX_BODY` is
refused before it is read whole. Refusals are counted and logged (without the body). An
accepted delivery is handled before the 200 goes back, so a crash in between makes Meta
deliver it again (and `processed_updates` keeps what was already handled from running
twice).
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.whatsapp.channel import WhatsAppChannel
from storage.crypto.server_key import mac_matches
from storage.crypto.webhook_signature import webhook_signature_matches

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


class TooLarge(Exception):
    pass


class Webhook:
    def __init__(
        self, *, app_secret: str, verify_token: str, path: str, channel: WhatsAppChannel
    ) -> None:
        """`app_secret` signs every delivery; `verify_token` is our own word for Meta's
        subscription check (`whatsapp.*`)."""
        self.secret = app_secret.encode()
        self.verify_token = verify_token.encode()
        self.path = path
        self.channel = channel
        self.refused: Counter[str] = Counter()

    def routes(self) -> list[Route]:
        return [Route(self.path, self.endpoint, methods=["GET", "POST"])]

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return self.verify(request)
        return await self.deliver(request)

    def verify(self, request: Request) -> Response:
        q = request.query_params
        token = q.get("hub.verify_token", "").encode()
        if q.get("hub.mode") == "subscribe" and mac_matches(self.verify_token, token):
            log.info("WhatsApp: Meta verified the webhook subscription")
            return PlainTextResponse(q.get("hub.challenge", ""))
        return self._refuse("verification", 403)

    async def deliver(self, request: Request) -> Response:
        try:
            raw = await _read_capped(request, MAX_BODY)
        except TooLarge:
            return self._refuse("too large", 413)
        signature = request.headers.get("x-hub-signature-256")
        if not webhook_signature_matches(self.secret, raw, signature):
            return self._refuse("signature", 401)
        try:
            payload = json.loads(raw)
        except ValueError:
            return self._refuse("not JSON", 400)
        await self.channel.delivery(payload)
        return PlainTextResponse("ok")

    def _refuse(self, why: str, status: int) -> Response:
        self.refused[why] += 1
        log.warning("WhatsApp: refused a webhook request (%s; %d so far)", why, self.refused[why])
        return PlainTextResponse("refused", status_code=status)


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)
