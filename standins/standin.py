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
What each method does: standins/methods.py; what a user does: standins/acting.py; what a
test looks at and waits for: standins/watching.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from .acting import Acting
from .methods import Telegram
from .records import ApiError, Call, Fault
from .server import envelope, error_response, fault_response, make_app, read_params
from .spec import ObjectSpec, load_spec
from .validate import Checker, Invalid


class BotAPIStandIn(Acting):
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
