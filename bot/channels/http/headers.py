"""Security headers on every response, whoever made it.

A student may report from a shared or school computer: nothing is cached, no referrer
leaves the page, nothing is loaded from elsewhere, and the page cannot be framed. Pure
ASGI, so it also covers error pages, static files and the WebSocket handshake.

Behind https (`web.public_url` starts with https://) every response also carries
Strict-Transport-Security for a year: a browser that has seen the service once never
again talks to it in plain http, where a network operator could read or rewrite the
chat. No `preload`: that list is hard to leave, and the operator's domain is theirs.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode(), value.encode())
    for name, value in (
        ("content-security-policy", CSP),
        ("cache-control", "no-store"),
        ("pragma", "no-cache"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    )
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
_NAMES = {name for name, _ in HEADERS} | {HSTS[0]}
# Where a response's headers are sent: a page, a WebSocket handshake accepted (101) or
# refused (403 through the denial-response extension).
_STARTS = ("http.response.start", "websocket.accept", "websocket.http.response.start")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = (*HEADERS, HSTS) if hsts else HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = self.headers
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] in _STARTS:
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": [*kept, *headers]}
            await send(message)

        await self.app(scope, receive, with_headers)
