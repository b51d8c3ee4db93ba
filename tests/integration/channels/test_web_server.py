"""The web server runs inside the service, says where it is, and guards every response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp

from bot.app.runtime import serve
from bot.app.settings import Settings
from bot.channels.http.headers import CSP


async def test_the_service_serves_http_with_security_headers_everywhere(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, stop, ready=ready))
    try:
        url = await asyncio.wait_for(ready, 30)
        assert url is not None and url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            for path, status in (("/healthz", 200), ("/no/such/page", 404)):
                async with http.get(url + path) as response:
                    assert response.status == status
                    assert response.headers["Content-Security-Policy"] == CSP
                    assert response.headers["Cache-Control"] == "no-store"
                    assert response.headers["Referrer-Policy"] == "no-referrer"
                    assert response.headers["X-Frame-Options"] == "DENY"
                    assert "server" not in {k.lower() for k in response.headers}
                    # http://host:port (no public_url): no HSTS, it would pin a test port.
                    assert "Strict-Transport-Security" not in response.headers
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_hsts_on_every_response_when_the_public_url_is_https(
    make_settings: Callable[..., Settings],
) -> None:
    """Less to see: HSTS when `web.public_url` is https — on the chat, the console,
    errors and the WebSocket handshake alike; never with `preload`."""
    settings = make_settings(web={"public_url": "https://meld.example.nl"})
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, stop, ready=ready))
    try:
        url = await asyncio.wait_for(ready, 30)
        assert url is not None
        async with aiohttp.ClientSession() as http:
            for path in ("/healthz", "/no/such/page", "/console/login", "/"):
                async with http.get(url + path) as response:
                    hsts = response.headers.get("Strict-Transport-Security")
                    assert hsts == "max-age=31536000", (path, hsts)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_web_off_means_no_listener(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(web={"enabled": False})
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, stop, ready=ready))
    try:
        assert await asyncio.wait_for(ready, 30) is None
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
