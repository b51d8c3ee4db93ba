"""A thin Graph API client on aiohttp (already here through aiogram): send a message,
look up and download a student's media. Which answers are retried is said here; the
schedule and the loop are the service's one retry policy (`vocabulary.retry`), as in
Telegram's session middleware.

Retried: HTTP 429 and the throttling codes (longer backoff), 5xx and Meta's transient
codes, and a connection that could not be opened (nothing was sent). Not retried: a
send whose answer was lost after the request went out (it may have been delivered, and a
retry would say it twice; the student's next input re-asks), and every other 4xx.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.channels.whatsapp.errors import GraphError
from vocabulary.retry import Backoff, retry

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
        self.backoff = Backoff(self.base_delay, MAX_DELAY)
        self.throttled = Backoff(4 * self.base_delay, MAX_DELAY)  # 429 and Meta's throttling
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

        async def once() -> bytes:
            try:
                async with self.session.get(url) as response:
                    if response.status == 200:
                        return await response.content.read(limit + 1)
                    raise GraphError(response.status)
            except aiohttp.ClientConnectionError:
                raise GraphError(503) from None  # retried like a 503

        return await retry(once, self._wait, attempts=self.attempts, sleep=self.sleep)

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None, *, resend: bool = True
    ) -> dict[str, Any]:
        async def once() -> dict[str, Any]:
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
            raise GraphError.from_response(status, answer)

        def wait(error: Exception, attempt: int) -> float | None:
            delay = self._wait(error, attempt)
            if delay is not None:
                log.warning("WhatsApp API %s; retry %d in %.1fs", error, attempt, delay)
            return delay

        return await retry(once, wait, attempts=self.attempts, sleep=self.sleep)

    async def _once(self, method: str, url: str, body: dict[str, Any] | None) -> tuple[int, object]:
        async with self.session.request(method, url, json=body) as response:
            try:
                answer: object = await response.json(content_type=None)
            except ValueError:
                answer = None  # a gateway's HTML page
            return response.status, answer

    def _wait(self, error: Exception, attempt: int) -> float | None:
        if not isinstance(error, GraphError) or not error.retryable:
            return None
        return (self.throttled if error.throttled else self.backoff).delay(attempt)
