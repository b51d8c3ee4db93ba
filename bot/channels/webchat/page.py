"""The page at `/`, its files, and the quick exit's call to forget the session.

The page is plain HTML rendered here with the conversation's language (every word from
the locale files) and one script and one stylesheet from this package: nothing inline,
nothing from elsewhere, as the Content-Security-Policy demands.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.channels.webchat import session
from bot.channels.webchat.channel import CHANNEL, ChatSocket
from bot.channels.webchat.options import WebOptions
from bot.channels.webchat.origin import same_origin
from bot.intake.media_strip import KINDS, MIME
from bot.intake.turns import Turns
from dialogues import Texts, lang_from_hint
from dialogues.required_keys import WEB_KEYS

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATE = Template((HERE / "page.html").read_text(encoding="utf-8"))
EXTENSIONS = {"jpeg": (".jpg", ".jpeg"), "png": (".png",), "pdf": (".pdf",)}


def render(
    texts: Texts,
    *,
    exit_url: str,
    max_chars: int,
    max_file_bytes: int = 10 * 1024 * 1024,
    file_types: tuple[str, ...] = KINDS,
) -> str:
    """`max_chars`: the engine's widest text limit (a question may say a smaller one in
    its turn frame); the file limits are `web.max_file_bytes` and `web.file_types`."""
    values = {key: html.escape(texts.get(key)) for key in WEB_KEYS}
    values["lang"] = html.escape(texts.lang)
    values["exit_url"] = html.escape(exit_url)
    values["max_chars"] = str(max_chars)
    values["max_file_bytes"] = str(max_file_bytes)
    values["max_file_mb"] = str(max(1, max_file_bytes // (1024 * 1024)))
    values["file_types"] = " ".join(MIME[k] for k in KINDS if k in file_types)
    values["file_accept"] = ",".join(
        accept for k in KINDS if k in file_types for accept in (MIME[k], *EXTENSIONS[k])
    )
    return TEMPLATE.substitute(values)


class Page:
    def __init__(self, turns: Turns, channel: ChatSocket, web: WebOptions, *, secure: bool) -> None:
        self.turns = turns
        self.channel = channel
        self.secure = secure
        self.web = web

    async def show(self, request: Request) -> Response:
        session_id = session.read(request.cookies)
        lang = lang_from_hint(request.headers.get("accept-language"))
        if session_id is not None:
            record = await self.turns.load(self.turns.chat_key(CHANNEL, session_id))
            if record.state is not None:
                lang = record.state.lang
        texts = self.turns.texts(lang)
        body = render(
            texts,
            exit_url=self.web.quick_exit_url,
            max_chars=self.channel.lengths.default.limit,
            max_file_bytes=self.web.max_file_bytes,
            file_types=self.web.file_types,
        )
        response = HTMLResponse(body)
        if session_id is None:
            session.give(response, session.new_id(), secure=self.secure)
        return response

    async def quick_exit(self, request: Request) -> Response:
        """Forget the cookie and erase the unfinished draft. Reports already filed stay:
        the student holds their receipt code."""
        if not same_origin(request.headers, secure=self.secure, public_url=self.web.public_url):
            return Response(status_code=403)
        session_id = session.read(request.cookies)
        if session_id is not None:
            key = self.turns.chat_key(CHANNEL, session_id)
            await self.turns.forget(key)
            await self.channel.drop(key)
        response = Response(status_code=204)
        session.forget(response, secure=self.secure)
        return response
