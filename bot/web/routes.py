"""The routes each web feature contributes, gathered in one place for the server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot.services import Services
from bot.webchat import chat_routes


async def healthz(_: Request) -> PlainTextResponse:
    """For a load balancer or an operator's check: says nothing but that we run."""
    return PlainTextResponse("ok")


def web_routes(services: Services) -> list[BaseRoute]:
    return [Route("/healthz", healthz), *chat_routes(services)]
