"""HTTP plumbing: the aiohttp app, reading a request's parameters, and fault answers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .records import ApiError, Fault, Upload

GATEWAY_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
GATEWAY_STATUSES = frozenset({502, 503, 504})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(handler: Handler, files: Handler | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("GET", "/bot{token}/{method}", handler)
    app.router.add_route("POST", "/bot{token}/{method}", handler)
    if files is not None:
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", files)
    return app


def envelope(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


def error_response(error: ApiError) -> web.Response:
    return envelope(error.status, error.envelope())


def _as_form_value(value: Any) -> str | None:
    """A JSON body's top-level value, as the Bot API server reads it: text, like a form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Query string plus body (JSON, urlencoded or multipart): the text parameters, and
    the file parts by name (a file part is a parameter when the spec names it so, else an
    attachment that "attach://<name>" refers to)."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError.bad_request(f"can't parse JSON body: {exc}", violation=True) from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("JSON body must be an object", violation=True)
        for key, value in body.items():
            if (text := _as_form_value(value)) is not None:
                params[key] = text
        return params, files
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(key, value.filename, value.content_type, value.file.read())
            else:
                params[key] = value if isinstance(value, str) else bytes(value).decode()
        return params, files
    raise ApiError.bad_request(f"unsupported Content-Type {request.content_type}", violation=True)


def fault_response(fault: Fault) -> web.Response:
    """What a gateway or Telegram says when `fault` hits: 429 with retry_after, an nginx
    page for 502/503/504, else a JSON error."""
    if fault.status in GATEWAY_STATUSES and fault.description is None:
        reason = HTTPStatus(fault.status).phrase
        page = GATEWAY_PAGE.format(code=fault.status, reason=reason)
        return web.Response(status=fault.status, text=page, content_type="text/html")
    if fault.status == 429:
        description = fault.description or (
            f"Too Many Requests: retry after {fault.retry_after}"
            if fault.retry_after is not None
            else "Too Many Requests"
        )
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        return error_response(ApiError(429, description, parameters=parameters))
    description = fault.description or _default_description(fault.status)
    return error_response(ApiError(fault.status, description))


def _default_description(status: int) -> str:
    known = {
        400: "Bad Request: injected fault",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request",
        500: "Internal Server Error",
    }
    if status in known:
        return known[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"
