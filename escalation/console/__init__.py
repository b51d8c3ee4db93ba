"""The advisers' console: server-rendered pages at /console.

Modules: `config` (what it needs), `sessions` (sessions holding the unlocked key,
shared by replicas through the database), `web` (cookie, CSRF, page helpers), `auth`
(enrol, login, logout, recover),
`pages` (reports and actions), `patterns` (company patterns: the coordinators' page,
sharing a name or a report), `figures` (the coordinators' figures, PDF,
spreadsheet), `evaluations` (the students' evaluations of the follow-up, for the
network's coordinators), `transfers` (the hand-over forms), `handover` (where a
report may go), `overview` (the coordinators' deadlines), `sheet` (a report as one list
of labelled fields: the page and the PDF both render it), `present` (answers, times and
audit entries as an adviser reads them), `pdf`, `texts` (`ConsoleTexts`, from nl.yaml /
en.yaml). `console_app` builds the Starlette app the service mounts.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from escalation.console import auth, evaluations, figures, overview, pages, patterns
from escalation.console import handover_forms as transfers
from escalation.console.collaborators import Console, ConsoleConfig
from escalation.console.present import local
from escalation.console.sessions import SessionStore, SharedSessions
from escalation.console.texts import load as load_texts
from escalation.console.throttle import LoginThrottle
from escalation.console.web import HERE, Context, current, page

__all__ = ["Console", "ConsoleConfig", "console_app"]


async def _error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    if exc.status_code in (301, 302, 303, 307):
        return Response(status_code=exc.status_code, headers=exc.headers)
    session = current(request)
    if exc.status_code == 403:
        return page(request, "error.html", session, 403, key="csrf")
    return page(request, "error.html", session, exc.status_code, key="not_found")


def console_app(console: Console) -> Starlette:
    load_texts()  # a broken nl.yaml or en.yaml stops start-up here, not on a page
    r = "/reports/{report_id}"
    routes = [
        Route("/", pages.home),
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/enrol/{token}", auth.enrol_form, methods=["GET"]),
        Route("/enrol/{token}", auth.enrol, methods=["POST"]),
        Route("/enrol/{token}/confirm", auth.enrol_confirm, methods=["POST"]),
        Route("/recover", auth.recover_form, methods=["GET"]),
        Route("/recover", auth.recover, methods=["POST"]),
        Route("/recover/confirm", auth.recover_confirm, methods=["POST"]),
        Route("/reports", pages.reports),
        Route(r, pages.report),
        Route(r + "/message", pages.write_message, methods=["POST"]),
        Route(r + "/note", pages.write_note, methods=["POST"]),
        Route(r + "/status", pages.status, methods=["POST"]),
        Route(r + "/acknowledge", pages.acknowledge, methods=["POST"]),
        Route(r + "/handover/colleague", transfers.colleague, methods=["POST"]),
        Route(r + "/handover/org", transfers.move, methods=["POST"]),
        Route(r + "/handover/add", transfers.add, methods=["POST"]),
        Route(r + "/handover/back", transfers.back, methods=["POST"]),
        Route(r + "/pdf", pages.report_pdf),
        Route(r + "/audit", pages.audit_log),
        Route(r + "/attachments/{attachment_id}", pages.attachment),
        Route("/overview", overview.overview),
        Route("/notices", pages.notices),
        Route("/feedback", evaluations.evaluations_page),
        Route("/figures", figures.figures_page),
        Route("/figures/report.pdf", figures.figures_pdf),
        Route("/figures/tables.xlsx", figures.figures_xlsx),
        Route("/patterns", patterns.patterns_page),
        Route(r + "/pattern/name", patterns.share_name, methods=["POST"]),
        Route(r + "/pattern/share", patterns.share_report, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    config = console.config
    store = SessionStore(
        config.idle,
        config.max_sessions,
        config.max_signed_in,
        shared=console.sessions,
        advisers=console.directory.adviser,
    )
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _error},
        middleware=[Middleware(SharedSessions, store=store, clock=console.clock)],
    )
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["local"] = local
    throttle = LoginThrottle(
        config.login_max_failures,
        config.source_max_failures,
        timedelta(minutes=config.lock_minutes),
    )
    app.state.console = Context(console, store, templates, throttle)
    return app
