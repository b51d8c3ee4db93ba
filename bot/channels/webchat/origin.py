"""Same-origin check for the socket and the exit call.

The session cookie is SameSite=Strict, so another site's page cannot ride on it; the
Origin check refuses such a page before it gets a conversation at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(headers: Headers, *, secure: bool, public_url: str | None) -> bool:
    """Browsers always send Origin on a WebSocket handshake and on a POST by fetch."""
    origin = headers.get("origin")
    if not origin:
        return False
    allowed = set()
    host = headers.get("host")
    if host:
        allowed.add(f"{'https' if secure else 'http'}://{host}".lower())
    if public_url:
        allowed.add(_origin(public_url))
    return origin.lower() in allowed
