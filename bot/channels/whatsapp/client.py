"""A thin Graph API client on aiohttp (already here through aiogram): send a message,
look up and download a student's media. Retries live here, like aiogram's session
middleware does it for Telegram.

Retried: HTTP 429 and the throttling codes (longer backoff), 5xx and Meta's transient
codes, and a connection that could not be opened (nothing was sent). Not retried: a
send whose answer was lost after the request went out (it may have been delivered, and a
retry would say it twice; the student's next input re-asks), and every other 4xx.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channels.whatsapp.errors import GraphError

log = logging.getLogger(__name__)

ATTEMPTS = 5
MAX_DELAY = 60.0
TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass(frozen=True)
class GraphAccount:
    """The business number and how to reach Meta for it (`whatsapp.*`)."""

    access_token: str  # a system user's permanent token
    phone_number_id: str
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    retry_base_seconds: float = 1.0  # backoff on 429 / 5xx


class GraphClient:
    def __init__(
        self,
        account: GraphAccount,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.base = f"{account.api_base.rstrip('/')}/{account.api_version}"
        self.messages_url = f"{self.base}/{account.phone_number_id}/messages"
        self.phone_number_id = account.phone_number_id
        self._auth = {"Authorization": f"Bearer {account.access_token}"}
        self.base_delay = account.retry_base_seconds
        self.sleep = sleep
        self.attempts = attempts
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers=self._auth)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Sends one message (text, interactive, template) to `to`; returns its wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        answer = await self._call("POST", self.messages_url, {**body, **message}, resend=False)
        sent = answer.get("messages")
        if isinstance(sent, list) and sent and isinstance(sent[0], dict):
            return str(sent[0].get("id", ""))
        return ""

    async def media(self, media_id: str) -> tuple[str, int]:
        """The short-lived download URL of a student's media, and its size in bytes."""
        answer = await self._call(
            "GET", f"{self.base}/{media_id}?phone_number_id={self.phone_number_id}", None
        )
        size = answer.get("file_size", 0)
        return str(answer.get("url", "")), int(size) if str(size).isdigit() else 0

    async def download(self, url: str, limit: int) -> bytes:
        """At most `limit` + 1 bytes (one more says "too large" without reading it all)."""
        for attempt in range(1, self.attempts + 1):
            try:
                async with self.session.get(url) as response:
                    if response.status == 200:
                        return await response.content.read(limit + 1)
                    error = GraphError(response.status)
            except aiohttp.ClientConnectionError:
                error = GraphError(503)
            if not error.retryable or attempt == self.attempts:
                raise error
            await self.sleep(self._backoff(attempt, error))
        raise AssertionError("unreachable")

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None, *, resend: bool = True
    ) -> dict[str, Any]:
        for attempt in range(1, self.attempts + 1):
            try:
                status, answer = await self._once(method, url, body)
            except aiohttp.ClientConnectorError:
                status, answer = 503, None  # never reached Meta: safe to try again
            except (aiohttp.ClientConnectionError, TimeoutError):
                if not resend:
                    raise
                status, answer = 503, None
            if status == 200 and isinstance(answer, dict):
                return answer
            error = GraphError.from_response(status, answer)
            if not error.retryable or attempt == self.attempts:
                raise error
            delay = self._backoff(attempt, error)
            log.warning("WhatsApp API %s; retry %d in %.1fs", error, attempt, delay)
            await self.sleep(delay)
        raise AssertionError("unreachable")

    async def _once(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[int, object]:
        async with self.session.request(method, url, json=body) as response:
            try:
                answer: object = await response.json(content_type=None)
            except ValueError:
                answer = None  # a gateway's HTML page
            return response.status, answer

    def _backoff(self, attempt: int, error: GraphError) -> float:
        base = self.base_delay * (4 if error.throttled else 1)
        delay = base * 2.0 ** (attempt - 1)
        return min(delay * (1 + random.random() / 2), MAX_DELAY)  # noqa: S311 - jitter
