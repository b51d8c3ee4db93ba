"""`CloudAPIStandIn`: the WhatsApp Cloud API's Graph endpoints on 127.0.0.1, and Meta's side
of the webhook.

    async with CloudAPIStandIn() as api:      # settings: api_base=api.base_url, ...
        api.webhook_url = "http://127.0.0.1:<port>/whatsapp/webhook"
        await api.text(NUMBER, "/start")       # signed like Meta, handled before it returns
        api.bodies_to(NUMBER)                  # what the bot sent, each checked
        assert api.violations == []

Every POST to /{version}/{phone-number-id}/messages is checked against Meta's `Message`
schema (schema.py, with the spec's quirks handled) and the documented limits
(limits.py); a breach is answered like the Graph API does (400, code 100) and appended to
`violations`. Faults: `fail_next(status, code)` refuses the next send(s);
`fail_status_next(code)` accepts the next send and then delivers a `failed` status
callback for it. Media: `add_media(bytes)` gives an id the bot can look up and download
with the token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web

from . import payloads
from .limits import limit_errors
from .schema import schema_errors

TOKEN = "EAAG-test-access-token"
APP_SECRET = "stand-in-app-secret"
VERIFY_TOKEN = "stand-in-verify-token-0123"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v23.0"


@dataclass
class Fault:
    status: int
    code: int


@dataclass
class Sent:
    to: str
    body: dict[str, Any]
    wamid: str


@dataclass
class Media:
    data: bytes
    mime_type: str


@dataclass
class Delivery:
    raw: bytes
    status: int = 0


@dataclass
class Record:
    sent: list[Sent] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # bodies answered with a fault
    deliveries: list[Delivery] = field(default_factory=list)


class CloudAPIStandIn:
    def __init__(
        self,
        *,
        token: str = TOKEN,
        app_secret: str = APP_SECRET,
        phone_number_id: str = PHONE_NUMBER_ID,
        version: str = VERSION,
    ) -> None:
        self.token = token
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.version = version
        self.webhook_url = ""
        self.base_url = ""
        self.violations: list[str] = []
        self.record = Record()
        self._by_number: dict[str, list[dict[str, Any]]] = {}
        self.media: dict[str, Media] = {}
        self.downloads: list[str] = []
        self._faults: list[Fault] = []
        self._status_faults: list[int] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_get("/{version}/{media_id}", self._media_url)
        app.router.add_get("/download/{media_id}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- faults ---------------------------------------------------------------------------

    def fail_next(self, status: int, code: int, times: int = 1) -> None:
        """The next `times` sends are refused: 429 with 130429, 400 with 131056, 503…"""
        self._faults += [Fault(status, code)] * times

    def fail_status_next(self, code: int) -> None:
        """The next send is accepted, then reported `failed` with `code` by callback."""
        self._status_faults.append(code)

    # --- the Graph API --------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _messages(self, request: web.Request) -> web.Response:
        where = f"POST {request.path}"
        if not self._authorised(request):
            self.violations.append(f"{where}: no or wrong access token")
            return _graph_error(401, 190, "Invalid OAuth access token")
        if request.match_info["version"] != self.version:
            self.violations.append(f"{where}: API version {request.match_info['version']}")
        if request.match_info["phone"] != self.phone_number_id:
            self.violations.append(f"{where}: unknown phone number id")
            return _graph_error(400, 100, "Unsupported post request")
        try:
            body = json.loads(await request.read())
        except ValueError:
            self.violations.append(f"{where}: the body is not JSON")
            return _graph_error(400, 100, "Invalid JSON")
        problems = schema_errors(body) + (limit_errors(body) if isinstance(body, dict) else [])
        if problems:
            self.violations += [f"{where}: {p}" for p in problems]
            return _graph_error(400, 100, "(#100) Invalid parameter: " + problems[0])
        if self._faults:
            fault = self._faults.pop(0)
            self.record.refused.append(body)
            return _graph_error(fault.status, fault.code, "injected by the stand-in")
        to = str(body["to"])
        wamid = payloads.new_wamid(to)
        self.record.sent.append(Sent(to, body, wamid))
        self._by_number.setdefault(to, []).append(body)
        if self._status_faults:
            code = self._status_faults.pop(0)
            failed = payloads.status(self.phone_number_id, to, wamid, "failed", code)
            self._later(self.deliver(failed))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )

    async def _media_url(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        if not self._authorised(request):
            self.violations.append(f"GET {request.path}: no or wrong access token")
            return _graph_error(401, 190, "Invalid OAuth access token")
        media = self.media.get(media_id)
        if media is None:
            return _graph_error(404, 100, "Unsupported get request")
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{media_id}",
                "mime_type": media.mime_type,
                "sha256": "0" * 64,
                "file_size": str(len(media.data)),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if not self._authorised(request):  # Meta: the URL alone is not enough
            self.violations.append("media download without the access token")
            return web.Response(status=401)
        media = self.media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404)
        self.downloads.append(request.match_info["media_id"])
        return web.Response(body=media.data, content_type=media.mime_type)

    def add_media(self, data: bytes, mime_type: str = "image/jpeg") -> str:
        media_id = str(900_000_000_000 + next(self._ids))
        self.media[media_id] = Media(data, mime_type)
        return media_id

    # --- Meta's side of the webhook -------------------------------------------------------

    def _later(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(
        self, payload: dict[str, Any] | bytes, *, signature: str | None = None
    ) -> int:
        """POSTs like Meta: compact JSON with non-ASCII escaped, signed over those bytes.
        Returns the webhook's HTTP status (it answers after handling the delivery)."""
        raw = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
        )
        header = signature or sign(self.app_secret, raw)
        assert self._session is not None and self.webhook_url, "set webhook_url first"
        delivery = Delivery(raw)
        self.record.deliveries.append(delivery)
        async with self._session.post(
            self.webhook_url,
            data=raw,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": header},
        ) as response:
            delivery.status = response.status
        return delivery.status

    async def deliver_until_ok(self, payload: dict[str, Any], *, within: float = 120) -> int:
        """Like Meta: a delivery the webhook did not answer with 200 (it was down, or
        failed) is sent again, the same bytes, until it is. Returns the tries it took."""
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
        deadline = asyncio.get_running_loop().time() + within
        for attempt in itertools.count(1):
            try:
                if await self.deliver(raw) == 200:
                    return attempt
            except (aiohttp.ClientError, TimeoutError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"the webhook refused a delivery {attempt} times")
            await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def redeliver(self, delivery: Delivery | None = None) -> int:
        """Meta delivers the same bytes again (it did not see our 200 in time)."""
        again = delivery or self.record.deliveries[-1]
        return await self.deliver(again.raw)

    async def verify(self, token: str, challenge: str = "1158201444") -> tuple[int, str]:
        assert self._session is not None
        query = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": challenge}
        async with self._session.get(self.webhook_url, params=query) as response:
            return response.status, await response.text()

    # --- the student's side ---------------------------------------------------------------

    def message(self, number: str, kind: str, content: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return payloads.message(self.phone_number_id, number, kind, content, **kw)

    async def text(self, number: str, body: str, **kw: Any) -> int:
        return await self.deliver(self.message(number, "text", {"body": body}, **kw))

    async def tap(self, number: str, reply_id: str, title: str, *, row: bool = False) -> int:
        chosen = {"id": reply_id, "title": title}
        kind = "list_reply" if row else "button_reply"
        return await self.deliver(self.message(number, "interactive", {"type": kind, kind: chosen}))

    # --- what the bot sent ----------------------------------------------------------------

    def bodies_to(self, number: str) -> list[dict[str, Any]]:
        return list(self._by_number.get(number, ()))

    def texts_to(self, number: str) -> list[str]:
        return [shown_text(b) for b in self.bodies_to(number)]


def sign(secret: str, raw: bytes) -> str:
    """X-Hub-Signature-256 as Meta computes it (written here, not taken from the service,
    so a mistake there cannot agree with itself)."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def shown_text(body: dict[str, Any]) -> str:
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["body"]["text"])
    if body.get("type") == "template":
        return f"[template {body['template']['name']}]"
    return ""


def options_of(body: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(id, title, is a list row) of an interactive message's choices."""
    if body.get("type") != "interactive":
        return []
    action = body["interactive"]["action"]
    if body["interactive"]["type"] == "button":
        return [(b["reply"]["id"], b["reply"]["title"], False) for b in action["buttons"]]
    return [(r["id"], r["title"], True) for s in action["sections"] for r in s["rows"]]


def _graph_error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": "AbCdEfStandIn",
            }
        },
        status=status,
    )
