"""`POST /chat/file`: a photo or PDF for the adviser, from the page's file control.

The body is the file itself (the name in `X-File-Name`, URL-encoded). Size and kind are
checked here, always, whatever the page already said: more than `web.max_file_bytes`
is never read to the end, and the kind is told by the file's first bytes, not by its
name or the browser's word. Then it becomes an `Attachment` for the engine, like a
Telegram photo, and goes the same way: `bot/intake/student_actions.py` strips its metadata and
storage seals it to the report. The bytes live in memory for this one request.

The answer is the frames the socket would have sent (JSON: {"frames": [...]}), so the
page shows them in order with its other messages.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels.webchat import frames, session
from bot.channels.webchat.channel import ChatSocket
from bot.channels.webchat.options import WebOptions
from bot.channels.webchat.origin import same_origin
from bot.intake.media_strip import sniff
from dialogues import Attachment, lang_from_hint
from storage.repositories.conversations import ChatRef

MB = 1024 * 1024
NAME_CHARS = 120


class FileDrop:
    def __init__(self, channel: ChatSocket, web: WebOptions, *, secure: bool) -> None:
        self.channel = channel
        self.web = web
        self.secure = secure

    async def receive(self, request: Request) -> Response:
        if not same_origin(request.headers, secure=self.secure, public_url=self.web.public_url):
            return Response(status_code=403)
        session_id = session.read(request.cookies)
        if session_id is None:
            return Response(status_code=403)
        key = self.channel.chat_key(session_id)
        hint = request.headers.get("accept-language")
        data = await self._body(request)
        if data is None:
            return await self._refuse(key, hint, "web_file_too_large")
        kind = sniff(data)
        if kind is None or kind not in self.web.file_types:
            return await self._refuse(key, hint, "web_file_wrong_type")
        name = _name(request.headers.get("x-file-name", ""))
        attachment = Attachment("document" if kind == "pdf" else "photo", "upload", name, len(data))

        async def fetch(_ref: str) -> bytes:
            return data

        client = self.channel.clients.of(
            request.client.host if request.client else None, request.headers
        )
        return JSONResponse(
            {"frames": await self.channel.take(key, attachment, hint, client, fetch)}
        )

    async def _body(self, request: Request) -> bytes | None:
        """The file, or None as soon as it is larger than allowed (not read further)."""
        limit = self.web.max_file_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                return None
        return bytes(body)

    async def _refuse(self, key: ChatRef, hint: str | None, text_key: str) -> Response:
        record = await self.channel.turns.load(key)
        lang = record.state.lang if record.state is not None else lang_from_hint(hint)
        mb = max(1, self.web.max_file_bytes // MB)
        return JSONResponse(
            {"frames": [frames.notice(self.channel.texts(lang), text_key, {"mb": mb})]}
        )


def _name(raw: str) -> str:
    """The name the student's file had, for the adviser; no path, no control chars."""
    name = unquote(raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:NAME_CHARS] or "bestand"
