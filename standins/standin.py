"""`BotAPIStandIn`: a Telegram Bot API on 127.0.0.1 for the real aiogram bot.

    async with BotAPIStandIn(TOKEN) as api:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))
        api.push_text(chat_id, "/start")            # the user acts: push_*, press, redeliver
        texts = await api.wait_for_texts(chat_id, 1)  # the bot reacts: calls, texts_to, …
        assert api.violations == []

Routes /bot<token>/<method> (GET or POST; method names case-insensitive). A wrong token is
401, a method the spec lacks 404 (and a violation). Parameters come from the query string,
urlencoded, multipart (aiogram: complex values as JSON strings, files as parts named by
"attach://…") or JSON bodies, and are decoded by the spec's types. Every call is checked
(standins/validate.py); a breach is answered 400 "Bad Request: <what>" and appended
to `violations`. Telegram's own refusals ("message to delete not found", "message is not
modified", "chat not found", 409 conflicts) are answered the same way but are no violation.
What each method does: standins/methods.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from PIL import Image

from . import updates as build
from .methods import Telegram
from .records import ApiError, Call, Fault
from .server import envelope, error_response, fault_response, make_app, read_params
from .spec import ObjectSpec, load_spec
from .validate import Checker, Invalid


def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (90, 120, 200)).save(out, "JPEG")
    return out.getvalue()


TINY_JPEG = _tiny_jpeg()  # what a photo's file_id serves unless a test gives its own

SENT_METHODS = ("sendMessage", "editMessageText")
FAULT_GRACE = 3.0  # seconds after a fault (plus retry_after) during which a retry is awaited
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class BotAPIStandIn:
    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        spec_path: Path | None = None,
        bot_username: str = "stagemeld_test_bot",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.spec = load_spec(spec_path)
        self.telegram = Telegram(self.spec, token, bot_username)
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.base_url = ""
        self._plans: dict[str, list[Fault]] = {}
        # Consulted for every call no planned fault hit (after decoding, so it can look at
        # the parameters): return a Fault to inject one. For random faults and for
        # acting at a precise moment (say, killing the bot as it sends a receipt).
        self.intercept: Callable[[Call], Fault | None] | None = None
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._changed = asyncio.Event()
        self._serial = 0
        self._runner: web.AppRunner | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> Self:
        self.telegram.stopping = False
        app = make_app(self._handle, self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self.telegram.stopping = True
        self.telegram.queue.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._record_refusal(name, ApiError(401, "Unauthorized"))
        method = self.spec.method(name)
        if method is None:
            error = ApiError(404, "Not Found")
            self.violations.append(f"{name}: no such method in the Bot API spec (404)")
            return self._record_refusal(name, error)
        busy = method.name != "getUpdates"
        if busy:
            self._in_flight += 1
            self._touch()
        try:
            return await self._answer(request, method)
        finally:
            if busy:
                self._in_flight -= 1
                self._touch()
            self._notify()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        """Telegram's file download: /file/bot<token>/<file_path from getFile>."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rpartition("/")[2]
        data = self.telegram.files.get(file_id)
        if data is None:
            return web.Response(status=404)
        self.calls.append(Call("file", {"file_id": file_id}, None, time.monotonic(), status=200))
        self._notify()
        return web.Response(body=data, content_type="application/octet-stream")

    async def _answer(self, request: web.Request, method: ObjectSpec) -> web.StreamResponse:
        call = Call(method.name, {}, None, time.monotonic(), status=0)
        fault = self._take_fault(method.name)
        problem: ApiError | None = None
        try:
            raw, files = await read_params(request)
            raw.update({k: v for k, v in files.items() if k in method.fields})
            Checker(self.spec, frozenset(files)).check_call(method, raw, call.params)
        except ApiError as exc:
            problem = exc
        except Invalid as exc:
            problem = ApiError.bad_request(str(exc), violation=True)
        chat_id = call.params.get("chat_id")
        call.chat_id = chat_id if isinstance(chat_id, int | str) else None
        self.calls.append(call)
        self._notify()
        if fault is None and problem is None and self.intercept is not None:
            fault = self.intercept(call)
        if fault is not None and fault.after and problem is None:
            with contextlib.suppress(ApiError):
                call.result = await self.telegram.call(method.name, call.params)
        if fault is not None:
            return self._fault(request, call, fault)
        if problem is not None:
            return self._refuse(call, problem)
        try:
            if method.name == "getUpdates":
                result: Any = await self._get_updates(request, call.params)
            else:
                result = await self.telegram.call(method.name, call.params)
        except ApiError as exc:
            return self._refuse(call, exc)
        call.status, call.result = 200, result
        return envelope(200, {"ok": True, "result": result})

    async def _get_updates(self, request: web.Request, params: dict[str, Any]) -> Any:
        result = await self.telegram.get_updates(params)
        transport = request.transport
        if transport is None or transport.is_closing():
            return []  # the poller is gone; the updates stay undelivered
        for pending in self.telegram.queue.pending:
            if any(pending.update is update for update in result):
                pending.delivered = True
        if result:
            self._touch()
        return result

    def _refuse(self, call: Call, error: ApiError) -> web.Response:
        call.status, call.error = error.status, error.description
        if error.violation:
            self.violations.append(f"{call.method}: {error.description}")
        return error_response(error)

    def _record_refusal(self, name: str, error: ApiError) -> web.Response:
        call = Call(name, {}, None, time.monotonic(), error.status, error.description)
        self.calls.append(call)
        self._notify()
        return error_response(error)

    def _fault(self, request: web.Request, call: Call, fault: Fault) -> web.Response:
        fault.call = call
        self.faults.append(fault)
        if fault.drop:
            call.status, call.error = 0, "connection dropped"
            if fault.after:
                call.error += " after Telegram did the call"
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError  # aiohttp then sends nothing
        response = fault_response(fault)
        call.status, call.error = fault.status, f"injected fault {fault.status}"
        return response

    def _take_fault(self, method: str) -> Fault | None:
        plan = self._plans.get(method.lower())
        return plan.pop(0) if plan else None

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _changed_within(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(timeout, 0.001))

    # --- what a user does -----------------------------------------------------------------

    def push_update(self, raw: dict[str, Any]) -> int:
        """Queues an update (any `update_id` in `raw` is replaced); returns its update_id.
        A callback query in it can be answered; a user's message in a chat is kept there."""
        raw = copy.deepcopy(raw)
        if isinstance(query := raw.get("callback_query"), dict) and "id" in query:
            self.telegram.callback_queries[str(query["id"])] = query
        message = raw.get("message")
        if isinstance(message, dict) and isinstance(message.get("message_id"), int):
            chat_id = (message.get("chat") or {}).get("id")
            if isinstance(chat_id, int):
                chat = self.telegram.chats(chat_id)
                if message["message_id"] not in chat.alive:
                    chat.last_id = max(chat.last_id, message["message_id"])
                    chat.add(copy.deepcopy(message), from_bot=False)
        update_id = self.telegram.queue.push(raw)
        self._notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """The same update, same update_id, once more — a Telegram duplicate."""
        self.telegram.queue.redeliver(update_id)
        self._notify()

    def _user_message(
        self,
        chat_id: int,
        content: dict[str, Any],
        user_id: int | None,
        language_code: str | None,
        first_name: str,
    ) -> int:
        chat = self.telegram.chats(chat_id)
        chat.first_name = first_name
        sender = build.user(user_id if user_id is not None else chat_id, first_name, language_code)
        message = build.user_message(chat.next_id(), chat_id, sender, **content)
        chat.add(message, from_bot=False)
        return self.push_update({"message": message})

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        """The user sends `text`; a leading /command gets its bot_command entity."""
        content = build.text_content(text)
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        data: bytes | None = None,
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        """`data`: the photo's bytes (every size serves them); default a tiny real JPEG."""
        content = build.photo_content(self._next_serial(), caption)
        for size in content["photo"]:  # every size can be fetched, as on Telegram
            self.telegram.files[size["file_id"]] = data if data is not None else TINY_JPEG
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_document(
        self,
        chat_id: int,
        data: bytes,
        *,
        file_name: str = "bewijs.pdf",
        mime_type: str = "application/pdf",
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        content = build.document_content(self._next_serial(), file_name, mime_type, len(data))
        self.telegram.files[content["document"]["file_id"]] = data
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str = "Student",
    ) -> int:
        content = build.sticker_content(self._next_serial(), emoji)
        return self._user_message(chat_id, content, user_id, language_code, first_name)

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        language_code: str = "nl",
        first_name: str | None = None,
    ) -> int:
        """The user presses a button carrying `data` on the bot's message `message_id`
        (default: the bot's latest message in the chat). A deleted message arrives as an
        InaccessibleMessage (date 0)."""
        chat = self.telegram.chats(chat_id)
        if message_id is None:
            mine = chat.ordered(from_bot=True)
            assert mine, f"the bot has no message in chat {chat_id} to press a button on"
            message_id = mine[-1]["message_id"]
        stored = chat.alive.get(message_id)
        if stored is not None:
            assert stored.from_bot, f"message {message_id} in chat {chat_id} is the user's"
            message = copy.deepcopy(stored.message)
        else:
            assert chat.issued(message_id), f"chat {chat_id} never had message {message_id}"
            message = build.inaccessible(chat_id, message_id)
        name = first_name or chat.first_name
        sender = build.user(user_id if user_id is not None else chat_id, name, language_code)
        query_id = str(random.getrandbits(63))
        instance = str((chat_id * 2654435761) % (1 << 63))
        query = build.callback_query(query_id, sender, message, data, instance)
        return self.push_update({"callback_query": query})

    def press(self, chat_id: int, button_text: str) -> int:
        """Presses the inline button labelled `button_text` on the bot's latest message with
        a keyboard; returns the update_id."""
        message = next(
            (m for m in reversed(self.bot_messages(chat_id)) if _buttons(m)),
            None,
        )
        assert message is not None, f"no bot message with an inline keyboard in chat {chat_id}"
        buttons = _buttons(message)
        button = next((b for b in buttons if b.get("text") == button_text), None)
        labels = [b.get("text") for b in buttons]
        assert button is not None, f"no button {button_text!r}; on offer: {labels}"
        assert "callback_data" in button, f"button {button_text!r} has no callback_data"
        return self.push_callback(
            chat_id, button["callback_data"], message_id=message["message_id"]
        )

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot: sends to the chat get 403."""
        (self.telegram.blocked.add if blocked else self.telegram.blocked.discard)(chat_id)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        drop: bool = False,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail: 429 with retry_after; 502/503/504 with an
        nginx HTML page (aiogram raises ClientDecodeError); other statuses with a JSON error
        (500 → TelegramServerError); `drop` closes the connection unanswered
        (TelegramNetworkError)."""
        plan = self._plans.setdefault(method.lower(), [])
        plan.extend(Fault(method, status, retry_after, drop, description) for _ in range(times))

    async def post_update_to(
        self, url: str, update_id: int | None = None, *, secret: str | None = None
    ) -> int:
        """POSTs a pushed update (default: the latest) to a webhook on this machine, with
        X-Telegram-Bot-Api-Secret-Token when `secret` is given; returns the HTTP status.
        A 2xx answer confirms the update."""
        host = urlsplit(url).hostname
        assert host in LOCAL_HOSTS, f"webhook URL must be on 127.0.0.1, not {host}"
        history = self.telegram.queue.history
        assert history, "no update was pushed"
        update_id = update_id if update_id is not None else max(history)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=history[update_id], headers=headers) as response,
        ):
            await response.read()
            status = response.status
        if 200 <= status < 300:
            self.telegram.queue.discard(update_id)
        self._notify()
        return status

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    # --- what a test looks at -------------------------------------------------------------

    @property
    def updates(self) -> dict[int, dict[str, Any]]:
        """Every update ever pushed, by update_id."""
        return self.telegram.queue.history

    @property
    def webhook(self) -> dict[str, Any]:
        """setWebhook's parameters while a webhook is set, else {}."""
        return self.telegram.webhook

    @property
    def webhook_url(self) -> str | None:
        """The URL setWebhook set, or None in polling mode."""
        return self.telegram.webhook.get("url") or None

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_to(self, chat_id: int) -> list[Call]:
        """Answered sendMessage and editMessage* calls to the chat, in order."""
        return [
            c
            for c in self.calls
            if c.ok
            and c.chat_id == chat_id
            and (c.method == "sendMessage" or c.method.startswith("editMessage"))
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts the user saw arrive: each answered sendMessage and editMessageText, as
        displayed (HTML tags stripped, entities decoded)."""
        return [
            c.result["text"]
            for c in self.sent_to(chat_id)
            if c.method in SENT_METHODS and isinstance(c.result, dict) and "text" in c.result
        ]

    def mark(self, chat_id: int) -> int:
        """`len(texts_to(chat_id))` now; pass it as `since=` to `wait_for_texts`."""
        return len(self.texts_to(chat_id))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages still in the chat, oldest first. These are the stand-in's own
        (live) objects: they follow later edits. Do not modify them."""
        return self.telegram.chats(chat_id).ordered(from_bot=True)

    def last_message(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest message still in the chat (live, with its current markup)."""
        mine = self.bot_messages(chat_id)
        assert mine, f"the bot has no message in chat {chat_id}"
        return mine[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self.telegram.chats(chat_id).alive[message_id].message

    def messages(self, chat_id: int) -> list[int]:
        """Ids of the messages still in the chat, the user's and the bot's."""
        return sorted(self.telegram.chats(chat_id).alive)

    def deleted(self, chat_id: int) -> set[int]:
        return set(self.telegram.chats(chat_id).deleted)

    # --- waiting --------------------------------------------------------------------------

    async def wait_for_calls(
        self,
        predicate: Callable[[Call], bool],
        count: int = 1,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> list[Call]:
        """Until `count` calls (from index `since` of `calls`) match; returns all matches."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls[since:] if predicate(c)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(found)} of {count} expected calls within {timeout}s")
            await self._changed_within(remaining)

    async def wait_for_texts(
        self, chat_id: int, n: int, timeout: float = 5.0, *, since: int = 0
    ) -> list[str]:
        """Until `n` texts (see `texts_to`) beyond `since` reached the chat; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            texts = self.texts_to(chat_id)[since:]
            if len(texts) >= n:
                return texts
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(texts)} of {n} texts to {chat_id} in {timeout}s: {texts}")
            await self._changed_within(remaining)

    async def wait_idle(self, timeout: float = 5.0, *, quiet: float = 0.2) -> None:
        """Until every pushed update was fetched, no call is in flight, no injected fault
        awaits its retry, and nothing happened for `quiet` seconds. A heuristic: a handler
        that computes silently for longer than `quiet` may still be busy."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            busy = self._busy(now)
            still = quiet - (now - self._last_activity)
            if not busy and still <= 0:
                return
            if now >= deadline:
                raise TimeoutError(f"not idle within {timeout}s: {busy or 'calls keep coming'}")
            await self._changed_within(min(deadline - now, still if not busy else 0.05))

    def _busy(self, now: float) -> str:
        reasons = []
        if not self.telegram.webhook and (n := self.telegram.queue.undelivered()):
            reasons.append(f"{n} pushed update(s) not fetched by getUpdates")
        if self._in_flight:
            reasons.append(f"{self._in_flight} call(s) in flight")
        for fault in self.faults:
            hit = fault.call
            if hit is None or now > hit.at + (fault.retry_after or 0) + FAULT_GRACE:
                continue
            if not any(c.method == hit.method and c.at > hit.at for c in self.calls):
                reasons.append(f"{hit.method} not yet retried after injected {fault.status}")
        return "; ".join(reasons)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]
