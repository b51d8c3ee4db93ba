"""Enrolment, login, logout and recovery pages.

A failed login waits a little longer each time before answering. Failures are counted
before the Argon2id work, per account and source address and per source (`throttle`,
in memory), and per account in the database (a higher bound, for guessing spread over
many addresses): a stranger who knows an adviser's e-mail address locks out only their
own address. The unlocked private key goes into a fresh in-memory session (a new id,
so a session fixed before login is worthless) and nowhere else.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from escalation.casework.directory import Adviser
from escalation.console.sessions import COOKIE, ConsoleSession
from escalation.console.throttle import Throttled
from escalation.console.web import anonymous, context, page, posted, redirect, root, set_cookie
from storage.crypto import second_factor
from storage.repositories.accounts.credentials import LoggedIn, LoginRefused, NewCredentials

ISSUER = "stagemeld"


def adviser_by_email(request: Request, email: str) -> Adviser | None:
    wanted = email.strip().lower()
    if not wanted:
        return None
    for org in context(request).console.directory.organizations:
        for adviser in org.advisers:
            if adviser.email and adviser.email.lower() == wanted:
                return adviser
    return None


async def login_form(request: Request) -> Response:
    session, new = anonymous(request)
    if session.signed_in:
        return redirect(request, "/reports")
    notice = "expired" if "expired" in request.query_params else None
    notice = "logged_out" if "bye" in request.query_params else notice
    return page(request, "login.html", session, new_session=new, notice=notice)


async def login(request: Request) -> Response:
    session, form = await posted(request)
    ctx = context(request)
    email = form.get("email", "")
    attempt = ctx.throttle.claim(email, ctx.console.config.source(request), ctx.console.clock())
    if isinstance(attempt, Throttled):  # no Argon2id for this one
        locked = LoginRefused("locked", attempt.failures, attempt.until)
        return _login_failed(request, session, locked, form)
    adviser = adviser_by_email(request, email)
    # An unknown address goes through the same steps (a decoy Argon2id) as a known one.
    result = await ctx.console.accounts.login(
        adviser.id if adviser else "", form.get("passphrase", ""), form.get("code", "")
    )
    if isinstance(result, LoginRefused) or adviser is None:
        refused = result if isinstance(result, LoginRefused) else LoginRefused("wrong", 1)
        if refused.code == "wrong" and ctx.throttle.locked_now(attempt):
            refused = LoginRefused("locked", ctx.throttle.failures(attempt))
        if refused.code == "wrong":
            failures = max(refused.failures, ctx.throttle.failures(attempt))
            await asyncio.sleep(ctx.console.config.failure_delay(failures))
        return _login_failed(request, session, refused, form)
    ctx.throttle.succeeded(attempt)
    return _start(request, session, adviser, result)


def _login_failed(
    request: Request, session: ConsoleSession, refused: LoginRefused, form: dict[str, str]
) -> Response:
    status = 429 if refused.code == "locked" else 401
    minutes = context(request).console.config.lock_minutes
    return page(
        request, "login.html", session, status, error=refused.code, minutes=minutes,
        email=form.get("email", ""),
    )  # fmt: skip


def _start(request: Request, anon: ConsoleSession, adviser: Adviser, result: LoggedIn) -> Response:
    ctx = context(request)
    ctx.store.drop(anon.id)
    session = ctx.store.sign_in(ctx.console.clock(), anon.lang, adviser, result.private_key)
    response = redirect(request, "/reports")
    set_cookie(request, response, session)
    return response


async def logout(request: Request) -> Response:
    session, _ = await posted(request)
    ctx = context(request)
    if session.adviser is not None:
        await ctx.console.accounts.logout(session.adviser.id, session.adviser.org_id)
    ctx.store.drop(session.id)
    response = redirect(request, "/login?bye=1")
    response.delete_cookie(COOKIE, path=root(request) or "/")
    return response


# --- enrolment ------------------------------------------------------------------------


async def enrol_form(request: Request) -> Response:
    session, new = anonymous(request)
    token = request.path_params["token"]
    accounts = context(request).console.accounts
    adviser_id = await accounts.link_adviser(token)
    if adviser_id is None:
        return page(request, "message.html", session, 404, new_session=new, key="enrol.bad_link")
    keyed = await accounts.key_without_account(adviser_id)
    return page(request, "enrol.html", session, new_session=new, token=token, keyed=keyed)


async def enrol(request: Request) -> Response:
    session, form = await posted(request)
    token = request.path_params["token"]
    console = context(request).console
    accounts = console.accounts
    adviser_id = await accounts.link_adviser(token)
    if adviser_id is None:
        return page(request, "message.html", session, 404, key="enrol.bad_link")
    # Keyed by the operator (`adviser add --passphrase-stdin`): the passphrase they were
    # given opens the key; TOTP and recovery code are made here, for the adviser only.
    keyed = await accounts.key_without_account(adviser_id)
    passphrase = form.get("passphrase", "")
    if passphrase != form.get("again", ""):
        return page(request, "enrol.html", session, 400, token=token, keyed=keyed, error="differ")
    given = form.get("current", "") if keyed else None
    new = await accounts.prepare(passphrase, current=given, adviser_id=adviser_id)
    if isinstance(new, LoginRefused):
        if new.code == "wrong_current":
            await asyncio.sleep(console.config.failure_delay(1))
        return page(request, "enrol.html", session, 400, token=token, keyed=keyed, error=new.code)
    session.pending["enrol"] = (token, new)
    return _totp_page(request, session, new, f"/enrol/{token}/confirm", "")


def _totp_page(
    request: Request, session: ConsoleSession, new: NewCredentials, action: str, error: str
) -> Response:
    account = session.adviser.email if session.adviser and session.adviser.email else ISSUER
    uri = second_factor.totp_uri(new.totp_secret, account, ISSUER)
    import segno  # at enrolment only, not held by an idle service

    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    secret = " ".join(new.totp_secret[i : i + 4] for i in range(0, len(new.totp_secret), 4))
    status = 400 if error else 200
    return page(
        request, "totp.html", session, status, qr=qr, secret=secret, action=action, error=error
    )


async def enrol_confirm(request: Request) -> Response:
    session, form = await posted(request)
    token = request.path_params["token"]
    pending = session.pending.get("enrol")
    if pending is None or pending[0] != token:
        return redirect(request, f"/enrol/{token}")
    new: NewCredentials = pending[1]
    console = context(request).console
    adviser_id = await console.accounts.link_adviser(token)
    adviser = console.directory.adviser(adviser_id) if adviser_id else None
    if adviser is None:
        return page(request, "message.html", session, 404, key="enrol.bad_link")
    result = await console.accounts.enrol(token, adviser.org_id, new, form.get("code", ""))
    if isinstance(result, LoginRefused):
        if result.code == "wrong_code":
            return _totp_page(request, session, new, f"/enrol/{token}/confirm", "wrong_code")
        session.pending.pop("enrol", None)
        return page(request, "message.html", session, 400, key=f"enrol.{result.code}")
    session.pending.pop("enrol", None)
    return page(request, "done.html", session, recovery_code=new.recovery_code)


# --- recovery ---------------------------------------------------------------------------


async def recover_form(request: Request) -> Response:
    session, new = anonymous(request)
    return page(request, "recover.html", session, new_session=new)


async def recover(request: Request) -> Response:
    session, form = await posted(request)
    console = context(request).console
    passphrase = form.get("passphrase", "")
    if passphrase != form.get("again", ""):
        return page(request, "recover.html", session, 400, error="enrol.differ")
    throttle = context(request).throttle
    attempt = throttle.claim(form.get("email", ""), console.config.source(request), console.clock())
    if isinstance(attempt, Throttled):  # counted with logins, before any Argon2id
        minutes = console.config.lock_minutes
        return page(request, "recover.html", session, 401, error="login.locked", minutes=minutes)
    adviser = adviser_by_email(request, form.get("email", ""))
    # As with logging in: an unknown address costs the same decoy Argon2id.
    adviser_id = adviser.id if adviser else ""
    result = await console.accounts.begin_recovery(adviser_id, form.get("code", ""), passphrase)
    if adviser is None and not isinstance(result, LoginRefused):
        result = LoginRefused("wrong", 1)
    if not isinstance(result, LoginRefused):
        throttle.succeeded(attempt)
    if isinstance(result, LoginRefused):
        if result.code == "wrong":
            await asyncio.sleep(console.config.failure_delay(result.failures))
        key = {
            "locked": "login.locked", "short_passphrase": "enrol.short_passphrase",
        }.get(result.code, "recover.wrong")  # fmt: skip
        minutes = console.config.lock_minutes
        return page(request, "recover.html", session, 401, error=key, minutes=minutes)
    session.pending["recover"] = (adviser_id, result)
    return _totp_page(request, session, result, "/recover/confirm", "")


async def recover_confirm(request: Request) -> Response:
    session, form = await posted(request)
    pending = session.pending.get("recover")
    if pending is None:
        return redirect(request, "/recover")
    adviser_id, new = pending
    result = await context(request).console.accounts.complete_recovery(
        adviser_id, new, form.get("code", "")
    )
    if isinstance(result, LoginRefused):
        if result.code == "wrong_code":
            return _totp_page(request, session, new, "/recover/confirm", "wrong_code")
        session.pending.pop("recover", None)
        return page(request, "message.html", session, 400, key="recover.wrong")
    session.pending.pop("recover", None)
    return page(request, "done.html", session, recovery_code=new.recovery_code)
