"""The routes each web feature contributes, gathered in one place for the server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.container import Container
from bot.web.clients import ClientAddress
from bot.webchat import chat_routes
from escalation.console import Console, ConsoleConfig, console_app
from storage.console_sessions import ConsoleSessions


async def healthz(_: Request) -> PlainTextResponse:
    """For a load balancer or an operator's check: says nothing but that we run."""
    return PlainTextResponse("ok")


def console_for(container: Container, config: ConsoleConfig | None = None) -> Console:
    s = container.settings
    config = config or ConsoleConfig(
        idle=timedelta(minutes=s.console.session_idle_minutes),
        secure_cookie=s.web.base_url.startswith("https://"),
        lock_minutes=s.console.login_lock_minutes,
        login_max_failures=s.console.login_max_failures,
        source_max_failures=s.console.login_source_max_failures,
        source=_source(ClientAddress(s.web.trusted_proxies)),
    )
    return Console(
        accounts=container.accounts,
        cases=container.cases,
        advisers=container.advisers,
        directory=container.directory,
        config=config,
        sessions=ConsoleSessions(container.sessions, config.idle),
    )


def _source(clients: ClientAddress) -> Callable[[Request], str]:
    def source(request: Request) -> str:
        return clients.of(request.client.host if request.client else None, request.headers)

    return source


def web_routes(container: Container) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Mount("/console", app=console_app(console_for(container))),
        *chat_routes(container),
    ]
