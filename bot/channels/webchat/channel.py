"""The conversation over a WebSocket: one frame in, one turn, the replies out.

On every connection the server first says where the student is (the current question,
unchanged), so a page that lost its connection or was reloaded carries on at the same
question. Flood, size and format are checked here, before the engine sees anything;
a refused frame gets a note in the chat and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from bot.channels.http.clients import ClientAddress
from bot.channels.webchat import frames, session
from bot.channels.webchat.lengths import Lengths
from bot.channels.webchat.options import WebOptions
from bot.channels.webchat.origin import same_origin
from bot.channels.webchat.pending import Undelivered
from bot.intake.limits import Flood, OneAtATime
from bot.intake.student_actions import FetchFile
from bot.intake.turns import Channel, TurnResult, Turns
from dialogues import Command, Input, Texts, lang_from_hint
from storage.repositories.conversations import ChatRef

log = logging.getLogger(__name__)

CHANNEL = "web"
SESSION_GONE = 4401  # close code: the page should not reconnect


class ChatSocket:
    def __init__(self, turns: Turns, web: WebOptions, *, secure: bool) -> None:
        self.turns = turns
        self.web = web
        self.secure = secure
        self.flood = Flood(web.messages_per_minute, time.monotonic)
        self.one = OneAtATime()
        self.undelivered = Undelivered(time.monotonic)
        self.live: defaultdict[ChatRef, set[WebSocket]] = defaultdict(set)
        self.clients = ClientAddress(web.trusted_proxies)
        self.lengths = Lengths(turns.flow, web.max_text_chars)

    def chat_key(self, session_id: str) -> ChatRef:
        return self.turns.chat_key(CHANNEL, session_id)

    def texts(self, lang: str) -> Texts:
        return self.turns.texts(lang)

    async def serve(self, ws: WebSocket) -> None:
        if not same_origin(ws.headers, secure=self.secure, public_url=self.web.public_url):
            await _deny(ws)
            return
        await ws.accept()
        hint = ws.headers.get("accept-language")
        session_id = session.read(ws.cookies)
        if session_id is None:
            await ws.send_json(frames.ended(self.texts(lang_from_hint(hint))))
            await ws.close(SESSION_GONE)
            return
        key = self.chat_key(session_id)
        self.live[key].add(ws)
        try:
            await self._converse(ws, key, hint)
        except WebSocketDisconnect:
            pass
        except Exception:
            log.exception("the web chat connection failed")  # the page reconnects
            await _close_quietly(ws, 1011)
        finally:
            self.live[key].discard(ws)
            if not self.live[key]:
                del self.live[key]

    async def _converse(self, ws: WebSocket, key: ChatRef, hint: str | None) -> None:
        lang, greeted = await self._greet(ws, key, hint)
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            lang = await self._frame(
                ws, key, raw if raw is not None else b"", hint, lang, greeted=greeted
            )
            greeted = False

    async def _greet(self, ws: WebSocket, key: ChatRef, hint: str | None) -> tuple[str, bool]:
        """Where the student is now: replies the page missed, else the current question,
        else (a first visit) the welcome — shown, not saved: a connection writes nothing
        until the student says something. True: the welcome was shown unsaved."""
        async with self.one.hold(key.key):
            pending = self.undelivered.take(key.key)
            current = None
            if pending is not None:
                lang, frame = pending.lang, {**pending.frame, "resumed": True}
            else:
                current = await self.turns.current(key)
                result = current or self.turns.greeting(hint)
                lang = result.lang
                frame = frames.turn(
                    result,
                    self.texts(lang),
                    resumed=current is not None,
                    box=self.lengths.after(result.replies),
                    intro=current is not None,
                )
            await ws.send_json(frames.page_texts(self.texts(lang)))
            await ws.send_json(frame)
        return lang, pending is None and current is None

    async def _frame(
        self,
        ws: WebSocket,
        key: ChatRef,
        raw: str | bytes,
        hint: str | None,
        lang: str,
        *,
        greeted: bool = False,
    ) -> str:
        texts = self.texts(lang)
        ack = frames.frame_id(raw)
        if not self.flood.allow(key.key):
            # Every refused frame is named, so the page can mark it and keep its text;
            # the note itself is said once.
            first = self.flood.first_refusal(key.key)
            await ws.send_json(frames.notice(texts, "rate_limited", refused=ack, repeat=not first))
            return lang
        parsed = frames.parse(raw, max_chars=self.web.max_text_chars)
        if isinstance(parsed, frames.Refusal):
            await ws.send_json(frames.notice(texts, parsed.key, parsed.values, refused=ack))
            return lang
        # The replies are sent under the same lock, so a page reconnecting meanwhile
        # finds them among the undelivered rather than missing them.
        async with self.one.hold(key.key):
            if greeted and await self.turns.current(key) is None:
                # The welcome on screen was never saved: save it now, so its buttons
                # mean what they meant when it was drawn.
                await self._turn(key, Command(name="start"), hint, self._client(ws))
            result = await self._turn(key, parsed, hint, self._client(ws))
            if result is None:
                await ws.send_json(frames.notice(texts, "error_try_again", refused=ack))
                return lang
            await self._deliver(ws, key, result, lang, ack)
        return result.lang

    async def take(
        self, key: ChatRef, inp: Input, hint: str | None, client: str, fetch: FetchFile
    ) -> list[dict[str, object]]:
        """One input that came another way than the socket (a file posted to
        /chat/file): the same turn, under the same lock; the frames go back to the
        caller. Refused by the flood limit like any frame."""
        record = await self.turns.load(key)
        lang = record.state.lang if record.state is not None else lang_from_hint(hint)
        texts = self.texts(lang)
        if not self.flood.allow(key.key):
            return [frames.notice(texts, "rate_limited")]
        async with self.one.hold(key.key):
            result = await self._turn(key, inp, hint, client, fetch)
        if result is None:
            return [frames.notice(texts, "error_try_again")]
        out: list[dict[str, object]] = []
        if result.lang != lang:
            out.append(frames.page_texts(self.texts(result.lang)))
        out.append(self._turn_frame(result, None))
        return out

    def _client(self, ws: WebSocket) -> str:
        """The client's address, for the receipt-guessing bounds (memory only)."""
        return self.clients.of(ws.client.host if ws.client else None, ws.headers)

    async def _turn(
        self,
        key: ChatRef,
        inp: Input,
        hint: str | None,
        client: str = "",
        fetch: FetchFile | None = None,
    ) -> TurnResult | None:
        channel = Channel(client=client, fetch_file=fetch, name="web")
        try:
            return await self.turns.run(key, inp, lang_hint=hint, channel=channel)
        except Exception:
            # No content and no session in the log; the student is told to try again.
            log.exception("a web chat turn failed")
            return None

    def _turn_frame(self, result: TurnResult, ack: int | None) -> dict[str, object]:
        box = self.lengths.after(result.replies)
        return frames.turn(result, self.texts(result.lang), box=box, ack=ack)

    async def _deliver(
        self, ws: WebSocket, key: ChatRef, result: TurnResult, lang: str, ack: int | None = None
    ) -> None:
        frame = self._turn_frame(result, ack)
        try:
            if result.lang != lang:
                await ws.send_json(frames.page_texts(self.texts(result.lang)))
            await ws.send_json(frame)
        except WebSocketDisconnect:
            self.undelivered.keep(key.key, result.lang, frame)
            raise

    async def drop(self, key: ChatRef) -> None:
        """Close every open page of a session (after a quick exit)."""
        self.undelivered.take(key.key)
        for ws in list(self.live.get(key, ())):
            await _close_quietly(ws, SESSION_GONE)


async def _close_quietly(ws: WebSocket, code: int) -> None:
    if ws.client_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        await ws.close(code)


async def _deny(ws: WebSocket) -> None:
    """A refused handshake is an ordinary 403, with the security headers like any page."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(PlainTextResponse("Forbidden", status_code=403))
    else:
        await ws.close(1008)
