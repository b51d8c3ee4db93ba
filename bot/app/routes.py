"""The routes each web feature contributes, gathered in one place for the server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.app.channel_wiring import web_chat_routes
from bot.app.container import Container
from bot.channels.http.clients import ClientAddress
from escalation.console import Console, ConsoleConfig, console_app
from escalation.console.collaborators import QuoteSource
from escalation.console.public_figures import public_routes
from escalation.figures.scope import FigureService
from storage.crypto.private_keys import X25519PrivateKey
from storage.repositories.accounts.credentials import LoggedIn
from storage.repositories.console_sessions import ConsoleSessions
from storage.repositories.evaluations import quotable_evaluations


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
        evaluations=container.evaluations,
        figures=figure_service(container),
        quotes=quote_source(container),
        config=config,
        sessions=ConsoleSessions(container.sessions, config.idle),
    )


def figure_service(container: Container) -> FigureService:
    st = container.settings.directory.statistics
    return FigureService(
        container.sessions, container.directory, min_cell=st.min_cell, public=st.public
    )


def quote_source(container: Container) -> QuoteSource:
    """The reflection report's quotes: what students allowed to be quoted, opened with
    the network coordinator's own key (the console hands it in; nobody else holds it)."""

    async def quotes(
        adviser_id: str, key: X25519PrivateKey, start: datetime, end: datetime
    ) -> list[str]:
        reader = LoggedIn(adviser_id, key)
        async with container.sessions() as session:
            found = await quotable_evaluations(
                session,
                container.keys.server,
                reader,
                start.date(),
                (end - timedelta(days=1)).date(),
            )
        return [f"{q.text} ({q.month:%m-%Y})" for q in found]

    return quotes


def _source(clients: ClientAddress) -> Callable[[Request], str]:
    def source(request: Request) -> str:
        return clients.of(request.client.host if request.client else None, request.headers)

    return source


def web_routes(container: Container) -> list[BaseRoute]:
    figures = figure_service(container)
    public = public_routes(figures, container.directory, "/console") if figures.public else []
    return [
        Route("/healthz", healthz),
        Mount("/console", app=console_app(console_for(container))),
        *public,
        *web_chat_routes(container),
    ]
