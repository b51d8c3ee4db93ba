"""Shared plumbing of the console's handlers: sessions from the cookie, CSRF, pages.

Every form carries the session's CSRF token and every POST checks it before anything
else. Whatever an adviser may not see answers 404, the same as what does not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from escalation.casework.directory import Adviser
from escalation.console.collaborators import Console
from escalation.console.sessions import COOKIE, ConsoleSession, SessionStore
from escalation.console.texts import LANGUAGES, ConsoleTexts
from escalation.console.throttle import LoginThrottle
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.tokens import tokens_match

HERE = Path(__file__).resolve().parent


@dataclass
class Context:
    console: Console
    store: SessionStore
    templates: Jinja2Templates
    throttle: LoginThrottle


def context(request: Request) -> Context:
    ctx: Context = request.app.state.console
    return ctx


def root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


def current(request: Request) -> ConsoleSession | None:
    ctx = context(request)
    session = ctx.store.get(request.cookies.get(COOKIE), ctx.console.clock())
    if session is not None:
        lang = request.query_params.get("lang")
        if lang in LANGUAGES:
            session.lang = lang
    return session


@dataclass(frozen=True)
class SignedIn:
    """A live session with its adviser and unlocked key, neither of them None."""

    session: ConsoleSession
    adviser: Adviser
    key: X25519PrivateKey


Endpoint = Callable[[Request], Awaitable[Response]]


def login_required(handler: Callable[[Request, SignedIn], Awaitable[Response]]) -> Endpoint:
    """Only a signed-in adviser reaches `handler`; anyone else is sent to the login page
    (before any form is read, so a POST without a live session changes nothing)."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        session = current(request)
        adviser = session.adviser if session is not None else None
        key = session.private_key if session is not None else None
        if session is None or adviser is None or key is None:
            raise HTTPException(303, headers={"location": _login_url(request, session)})
        return await handler(request, SignedIn(session, adviser, key))

    return guarded


def _login_url(request: Request, session: ConsoleSession | None) -> str:
    """ "Your session expired" only for a cookie whose session is gone (idle too long, or
    the service restarted); a first visit, or a login form not yet sent, just logs in."""
    gone = session is None or (session.expired and not session.signed_in)
    expired = gone and bool(request.cookies.get(COOKIE))
    return f"{root(request)}/login" + ("?expired=1" if expired else "")


def anonymous(request: Request) -> tuple[ConsoleSession, bool]:
    """A session for a form before login (it carries the CSRF token); True if new."""
    session = current(request)
    if session is not None:
        return session, False
    lang = request.query_params.get("lang")
    ctx = context(request)
    return ctx.store.new(ctx.console.clock(), lang if lang in LANGUAGES else "nl"), True


async def checked_form(request: Request, session: ConsoleSession) -> dict[str, str]:
    """The POSTed fields, only if the CSRF token is this session's; else 403, no change."""
    form = await request.form()
    token = form.get("csrf")
    if not isinstance(token, str) or not tokens_match(token, session.csrf):
        raise HTTPException(403, detail="csrf")
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def posted(request: Request) -> tuple[ConsoleSession, dict[str, str]]:
    """A form posted before login (or to log out): its session and fields, only if the
    CSRF token is that session's; without a session there is no token to match: 403."""
    session = current(request)
    if session is None:
        raise HTTPException(403, detail="csrf")
    return session, await checked_form(request, session)


def set_cookie(request: Request, response: Response, session: ConsoleSession) -> None:
    response.set_cookie(
        COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        path=root(request) or "/",
        secure=context(request).console.config.secure_cookie,
    )


def page(
    request: Request,
    name: str,
    session: ConsoleSession | None,
    status_code: int = 200,
    *,
    new_session: bool = False,
    **values: Any,
) -> Response:
    ctx = context(request)
    lang = session.lang if session is not None else "nl"
    t = ConsoleTexts(lang)
    response = ctx.templates.TemplateResponse(
        request,
        name,
        {
            "t": t,
            "lang": t.lang,
            "other_lang": "en" if t.lang == "nl" else "nl",
            "session": session,
            "csrf": session.csrf if session is not None else "",
            "root": root(request),
            "adviser": session.adviser if session is not None else None,
            "org": _org_name(ctx, session),
            "sees_patterns": session is not None
            and session.adviser is not None
            and ctx.console.directory.sees_patterns(session.adviser.id) is not None,
            "now": ctx.console.clock(),
            **values,
        },
        status_code=status_code,
    )
    if new_session and session is not None:
        set_cookie(request, response, session)
    return response


def _org_name(ctx: Context, session: ConsoleSession | None) -> str:
    if session is None or session.adviser is None:
        return ""
    org = ctx.console.directory.organization(session.adviser.org_id)
    return org.name if org is not None else session.adviser.org_id


def redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{root(request)}{path}", status_code=303)


def not_found() -> HTTPException:
    return HTTPException(404)
