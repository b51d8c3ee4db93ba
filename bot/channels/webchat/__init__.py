"""The students' web chat: the same conversation as in Telegram, on a page at `/`.

Modules: `page` (the HTML, its files, the quick exit), `channel` (the WebSocket: one
frame in, one turn, replies out), `frames` (the wire format), `markup` (Telegram-HTML
into plain runs), `session` (the one cookie), `origin` (same-origin checks), `limits`
(flood control, one turn at a time), `pending` (replies kept for a page that went away),
`lengths` (what the text box takes), `upload` (a file for the adviser), `options`
(what it reads of the `web:` settings).
See docs/webchat.md.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from bot.channels.webchat.channel import ChatSocket
from bot.channels.webchat.options import WebOptions
from bot.channels.webchat.page import STATIC, Page
from bot.channels.webchat.upload import FileDrop
from bot.intake.turns import Turns


def chat_routes(turns: Turns, web: WebOptions, *, secure: bool) -> list[BaseRoute]:
    """`secure`: the page is reached over https, so its cookie says so."""
    channel = ChatSocket(turns, web, secure=secure)
    page = Page(turns, channel, web, secure=secure)
    files = FileDrop(channel, web, secure=secure)
    return [
        Route("/", page.show, methods=["GET"]),
        Route("/chat/exit", page.quick_exit, methods=["POST"]),
        Route("/chat/file", files.receive, methods=["POST"]),
        WebSocketRoute("/chat/socket", channel.serve),
        Mount("/chat/static", StaticFiles(directory=STATIC), name="chat-static"),
    ]
