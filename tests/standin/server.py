"""A stand-in for the Telegram Bot API on 127.0.0.1.

It answers like Telegram for the methods a chat bot uses, keeps the chats it has seen,
and checks every call against the published spec. A call that breaks the spec is refused
with 400 *and* recorded in `violations`, so a test can insist there were none.
Methods of the spec it does not simulate are validated, recorded and answered `true`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.standin import updates as make
from tests.standin.html_check import html_text
from tests.standin.spec import Spec

BOT_ID = 7000001
SENDS = ("sendmessage", "editmessagetext", "editmessagereplymarkup")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    chat_id: int | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int
    retry_after: int | None
    drop: bool


class TelegramError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class BotAPIStandIn:
    def __init__(self, token: str = "123456:TEST-token", *, bot_username: str = "stagemeld_test_bot") -> None:
        self.token = token
        self.bot_username = bot_username
        self.spec = Spec()
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.faults: list[tuple[str, Fault]] = []
        self._fault_plan: dict[str, list[Fault]] = {}
        self._chats: dict[int, dict[int, dict[str, Any]]] = {}
        self._deleted: dict[int, set[int]] = {}
        self._next_message: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._all_updates: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._offset = 0
        self._pushed = 0
        self._fetched = 0
        self._new_update = asyncio.Event()
        self._last_call = time.monotonic()
        self.webhook_url: str | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> BotAPIStandIn:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotAPIStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        name = request.match_info["method"]
        method = self.spec.method(name)
        if method is None:
            return _error(404, "Not Found")
        fault = self._take_fault(method["name"])
        if fault is not None:
            return await self._fail(request, method["name"], fault)
        try:
            raw = await _params(request)
        except ValueError as exc:
            return self._violation(f"{method['name']}: unreadable request: {exc}")
        params = self.spec.decode(method, raw)
        errors = self.spec.check_call(method, params)
        if errors:
            return self._violation("; ".join(errors))
        try:
            result = await self._simulate(method["name"], params)
        except TelegramError as exc:
            return _error(exc.code, exc.description)
        self.calls.append(Call(method["name"], params, _chat_of(params)))
        if method["name"] != "getUpdates":
            self._last_call = time.monotonic()
        return web.json_response({"ok": True, "result": result})

    def _violation(self, description: str) -> web.Response:
        self.violations.append(description)
        return _error(400, f"Bad Request: {description}")

    def _take_fault(self, method: str) -> Fault | None:
        planned = self._fault_plan.get(method.lower())
        return planned.pop(0) if planned else None

    async def _fail(self, request: web.Request, method: str, fault: Fault) -> web.StreamResponse:
        self.faults.append((method, fault))
        self._last_call = time.monotonic()
        if fault.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if fault.status == 429:
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {fault.retry_after}",
                "parameters": {"retry_after": fault.retry_after},
            }
            return web.json_response(body, status=429)
        page = f"<html><body><h1>{fault.status} Bad Gateway</h1></body></html>"
        return web.Response(status=fault.status, text=page, content_type="text/html")

    # --- the simulation -----------------------------------------------------------------

    async def _simulate(self, method: str, p: dict[str, Any]) -> Any:
        handler = getattr(self, f"_m_{method}", None)
        return True if handler is None else await handler(p)

    async def _m_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Stagemeld", "username": self.bot_username}

    async def _m_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url is not None:
            raise TelegramError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset", 0))
        if offset:
            self._offset = max(self._offset, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= self._offset]
        deadline = time.monotonic() + float(p.get("timeout", 0))
        while not self._updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        batch = self._updates[: int(p.get("limit", 100))]
        if batch:
            self._fetched = max([self._fetched, *(u["update_id"] for u in batch)])
            self._last_call = time.monotonic()  # the bot is now busy with them
        return batch

    async def _m_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook_url = p["url"] or None
        return True

    async def _m_deleteWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook_url = None
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url or "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        message = self._bot_message(chat_id, p)
        return message

    async def _m_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(p, "message to edit not found")
        text = _visible(p["text"], p.get("parse_mode"))
        markup = p.get("reply_markup")
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise TelegramError(400, "Bad Request: message is not modified")
        message["text"] = text
        _set_markup(message, markup)
        return message

    async def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(p, "message to edit not found")
        markup = p.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise TelegramError(400, "Bad Request: message is not modified")
        _set_markup(message, markup)
        return message

    async def _m_deleteMessage(self, p: dict[str, Any]) -> bool:
        self._existing(p, "message to delete not found")
        self._delete(int(p["chat_id"]), [int(p["message_id"])])
        return True

    async def _m_deleteMessages(self, p: dict[str, Any]) -> bool:
        # Telegram skips ids it cannot find; it fails only when none could be deleted.
        chat_id = int(p["chat_id"])
        alive = [i for i in p["message_ids"] if i in self._chats.get(chat_id, {})]
        if not alive:
            raise TelegramError(400, "Bad Request: message to delete not found")
        self._delete(chat_id, alive)
        return True

    def _bot_message(self, chat_id: int, p: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": make.private_chat(chat_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Stagemeld", "username": self.bot_username},
            "text": _visible(p["text"], p.get("parse_mode")),
        }
        _set_markup(message, p.get("reply_markup"))
        self._chats.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _existing(self, p: dict[str, Any], missing: str) -> dict[str, Any]:
        chat = self._chats.get(int(p.get("chat_id", 0)), {})
        message = chat.get(int(p.get("message_id", 0)))
        if message is None:
            raise TelegramError(400, f"Bad Request: {missing}")
        return message

    def _delete(self, chat_id: int, ids: list[int]) -> None:
        chat = self._chats.get(chat_id, {})
        for message_id in ids:
            chat.pop(message_id, None)
            self._deleted.setdefault(chat_id, set()).add(message_id)

    def _message_id(self, chat_id: int) -> int:
        self._next_message[chat_id] = self._next_message.get(chat_id, 0) + 1
        return self._next_message[chat_id]

    # --- what a student does --------------------------------------------------------------

    def push_update(self, raw: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **raw}
        self._queue(update)
        return int(update["update_id"])

    def _queue(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._pushed = max(self._pushed, update["update_id"])
        self._all_updates[update["update_id"]] = update
        self._new_update.set()

    def push_text(self, chat_id: int, text: str, *, language_code: str = "nl") -> int:
        message = make.text_message(self._message_id(chat_id), chat_id, text, language_code)
        self._chats.setdefault(chat_id, {})[message["message_id"]] = message
        return self.push_update({"message": message})

    def push_photo(self, chat_id: int, *, language_code: str = "nl") -> int:
        message = make.photo_message(self._message_id(chat_id), chat_id, language_code)
        self._chats.setdefault(chat_id, {})[message["message_id"]] = message
        return self.push_update({"message": message})

    def push_sticker(self, chat_id: int, *, language_code: str = "nl") -> int:
        message = make.sticker_message(self._message_id(chat_id), chat_id, language_code)
        self._chats.setdefault(chat_id, {})[message["message_id"]] = message
        return self.push_update({"message": message})

    def push_callback(
        self, chat_id: int, data: str, *, message_id: int | None = None, language_code: str = "nl"
    ) -> int:
        message = self._message_for_callback(chat_id, message_id)
        query = make.callback_query(str(next(self._query_ids)), chat_id, data, message, language_code)
        return self.push_update({"callback_query": query})

    def _message_for_callback(self, chat_id: int, message_id: int | None) -> dict[str, Any]:
        messages = self.bot_messages(chat_id)
        if message_id is not None:
            found = next((m for m in messages if m["message_id"] == message_id), None)
            if found is not None:
                return json.loads(json.dumps(found))
            return {"message_id": message_id, "date": 0, "chat": make.private_chat(chat_id)}
        assert messages, f"the bot has sent nothing to chat {chat_id}"
        return json.loads(json.dumps(messages[-1]))

    def press(self, chat_id: int, button_text: str) -> int:
        for message in reversed(self.bot_messages(chat_id)):
            for button in _buttons(message):
                if button["text"] == button_text:
                    return self.push_callback(chat_id, button["callback_data"], message_id=message["message_id"])
        offered = [b["text"] for m in self.bot_messages(chat_id) for b in _buttons(m)]
        raise AssertionError(f"no button {button_text!r} in chat {chat_id}; on offer: {offered}")

    def redeliver(self, update_id: int) -> None:
        """Telegram's duplicate: the very same update, same update_id, once more."""
        update = self._all_updates[update_id]
        self._offset = min(self._offset, update_id)
        self._updates.append(update)
        self._new_update.set()

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        drop: bool = False,
    ) -> None:
        plan = self._fault_plan.setdefault(method.lower(), [])
        plan.extend(Fault(status, retry_after, drop) for _ in range(times))

    # --- what a test looks at ---------------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls if c.chat_id == chat_id and c.method.lower() in SENDS]

    def texts_to(self, chat_id: int) -> list[str]:
        return [
            c.params["text"]
            for c in self.calls
            if c.chat_id == chat_id and c.method in ("sendMessage", "editMessageText")
        ]

    def mark(self, chat_id: int) -> int:
        return len(self.texts_to(chat_id))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        chat = self._chats.get(chat_id, {})
        return [m for _, m in sorted(chat.items()) if m.get("from", {}).get("is_bot")]

    def last_message(self, chat_id: int) -> dict[str, Any]:
        messages = self.bot_messages(chat_id)
        assert messages, f"the bot has sent nothing to chat {chat_id}"
        return messages[-1]

    def messages(self, chat_id: int) -> list[int]:
        return sorted(self._chats.get(chat_id, {}))

    def deleted(self, chat_id: int) -> set[int]:
        return set(self._deleted.get(chat_id, set()))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for_calls(
        self, predicate: Callable[[Call], bool], count: int = 1, timeout: float = 5.0
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls if predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} matching calls, saw {len(found)}")
            await asyncio.sleep(0.02)

    async def wait_for_texts(
        self, chat_id: int, n: int, *, since: int = 0, timeout: float = 5.0
    ) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.texts_to(chat_id)) - since < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {n} texts to {chat_id}, saw {self.texts_to(chat_id)[since:]}")
            await asyncio.sleep(0.02)
        return self.texts_to(chat_id)[since:]

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.3) -> None:
        """Until every pushed update was fetched and nothing has called for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if self._fetched >= self._pushed and not self._updates_pending() and now - self._last_call >= quiet:
                return
            if now > deadline:
                raise TimeoutError("the bot did not settle")
            await asyncio.sleep(0.02)

    def _updates_pending(self) -> bool:
        return any(u["update_id"] >= self._offset for u in self._updates) and self.webhook_url is None

    async def post_update_to(self, url: str, update_id: int, *, secret: str | None = None) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=self._all_updates[update_id], headers=headers) as r:
                return r.status


# --- helpers ----------------------------------------------------------------------------------


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        params.update(body)
    elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else "<file>"
    return params


def _chat_of(params: dict[str, Any]) -> int | None:
    chat = params.get("chat_id")
    return chat if isinstance(chat, int) else None


def _visible(text: str, parse_mode: str | None) -> str:
    return html_text(text)[0] if parse_mode == "HTML" else text


def _set_markup(message: dict[str, Any], markup: Any) -> None:
    if markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)
