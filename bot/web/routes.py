"""The routes each web feature contributes, gathered in one place for the server."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.services import Services
from bot.webchat import chat_routes
from escalation.console import Console, ConsoleConfig, console_app
from storage.accounts import Accounts
from storage.cases import Cases


async def healthz(_: Request) -> PlainTextResponse:
    """For a load balancer or an operator's check: says nothing but that we run."""
    return PlainTextResponse("ok")


def console_for(services: Services, config: ConsoleConfig | None = None) -> Console:
    s = services.settings
    return Console(
        accounts=accounts_for(services),
        cases=Cases(services.sessions, services.keys.server),
        advisers=services.advisers,
        directory=services.directory,
        config=config
        or ConsoleConfig(
            idle=timedelta(minutes=s.console.session_idle_minutes),
            secure_cookie=s.web.base_url.startswith("https://"),
            lock_minutes=s.console.login_lock_minutes,
        ),
    )


def accounts_for(services: Services) -> Accounts:
    c = services.settings.console
    return Accounts(
        services.sessions,
        services.keys,
        max_failures=c.login_max_failures,
        lock=timedelta(minutes=c.login_lock_minutes),
        link_valid=timedelta(hours=c.enrol_link_hours),
    )


def web_routes(services: Services) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Mount("/console", app=console_app(console_for(services))),
        *chat_routes(services),
    ]
