"""Runs the web server inside the service's own event loop.

Features (the web chat, the console) each hand over their routes; this module only
composes them behind the security headers and runs uvicorn until the service stops.
Access logs stay off: a URL can name a report, and logs must not tell who read what.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from bot.channels.http.headers import SecurityHeaders

STARTUP_TIMEOUT = 20.0


def make_app(routes: Sequence[BaseRoute], *, hsts: bool = False, **state: Any) -> Starlette:
    """`hsts`: the service is reached over https (`web.public_url`), so say so for a year."""
    app = Starlette(routes=list(routes), middleware=[Middleware(SecurityHeaders, hsts=hsts)])
    for name, value in state.items():
        setattr(app.state, name, value)
    return app


class _Uvicorn(uvicorn.Server):
    """The service owns SIGINT/SIGTERM; uvicorn must not take them over."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    def __init__(self, app: Starlette, host: str, port: int, *, reuse_port: bool = False) -> None:
        """`port` 0 picks a free one (tests). `reuse_port`: several workers of `stagemeld
        run --workers N` listen on the same port (SO_REUSEPORT) and the kernel spreads
        connections over them."""
        self.host = host
        self.asked_port = port
        self.reuse_port = reuse_port
        self.server = _Uvicorn(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="off",
                server_header=False,
                ws_max_size=64 * 1024,
            )
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once the socket is bound; raises if it could not be (port taken)."""
        sockets = [_shared_socket(self.host, self.asked_port)] if self.reuse_port else None
        self.task = asyncio.create_task(self.server.serve(sockets=sockets))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise OSError(f"could not listen on {self.host}:{self.asked_port}")
            if loop.time() > deadline:
                raise TimeoutError("the web server did not start")
            await asyncio.sleep(0.01)

    @property
    def port(self) -> int:
        """The port actually bound: port 0 picks a free one, as tests do."""
        for server in self.server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.asked_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


def _shared_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock
