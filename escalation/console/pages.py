"""The report list, a report and what an adviser does with it, the coordinators'
overview and the failed notices.

Authorization is storage's: every lookup goes through the adviser's own seal, and a
report that is not theirs comes back as None, answered here with 404.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from escalation.casework.directory import Adviser
from escalation.console import handover_forms as transfers
from escalation.console import sheet
from escalation.console.present import audit_lines
from escalation.console.texts import ConsoleTexts
from escalation.console.web import (
    SignedIn,
    checked_form,
    context,
    login_required,
    not_found,
    page,
    redirect,
)
from storage.repositories.cases import OUTCOMES, SETTABLE, CaseSummary
from vocabulary import OPEN_STATUSES

REPORT_ID = re.compile(r"^[0-9a-f]{32}$")
SORTS: dict[str, Callable[[CaseSummary], Any]] = {
    "date": lambda c: c.created_at,
    "reference": lambda c: c.reference,
    "status": lambda c: c.status,
    "phase": lambda c: c.phase,
    "deadline": lambda c: (c.next_due() is None, c.next_due() or c.created_at),
    "unread": lambda c: c.unread,
}
FILTERS = ("status", "phase", "grounds")


def _report_id(request: Request) -> str:
    report_id = str(request.path_params["report_id"])
    if not REPORT_ID.fullmatch(report_id):
        raise not_found()
    return report_id


async def home(request: Request) -> Response:
    return redirect(request, "/reports")


@login_required
async def reports(request: Request, who: SignedIn) -> Response:
    session, me = who.session, who.adviser
    console = context(request).console
    cases = await console.cases.reading.list_for(me.id)
    await console.cases.reading.log(me.id, "list", me.org_id)
    now = console.clock()
    q = request.query_params
    chosen = {name: q.get(name, "") for name in FILTERS}
    shown = [
        c
        for c in cases
        if (not chosen["status"] or c.status == chosen["status"])
        and (not chosen["phase"] or c.phase == chosen["phase"])
        and (not chosen["grounds"] or chosen["grounds"] in c.grounds)
        and (not q.get("urgent") or c.urgent)
        and (not q.get("overdue") or c.overdue(now))
    ]
    sort = q.get("sort", "date") if q.get("sort") in SORTS else "date"
    descending = q.get("dir", "desc" if sort in ("date", "unread") else "asc") == "desc"
    shown.sort(key=SORTS[sort], reverse=descending)
    options = {
        "status": sorted({c.status for c in cases}),
        "phase": sorted({c.phase for c in cases}),
        "grounds": sorted({g for c in cases for g in c.grounds}),
    }
    failed = await console.cases.reading.failed_notices(_org_adviser_ids(request, me))
    marks = await console.cases.patterns.marks([c.id for c in shown])
    return page(
        request, "list.html", session, cases=shown, total=len(cases), chosen=chosen,
        options=options, sort=sort, descending=descending, urgent=bool(q.get("urgent")),
        overdue=bool(q.get("overdue")), failed=len(failed), marks=marks,
    )  # fmt: skip


def _org_adviser_ids(request: Request, me: Adviser) -> list[str]:
    directory = context(request).console.directory
    if is_network_coordinator(request, me):
        return [a.id for o in directory.organizations for a in o.advisers]
    org = directory.organization(me.org_id)
    return [a.id for a in org.advisers] if org is not None else [me.id]


def is_network_coordinator(request: Request, me: Adviser) -> bool:
    org = context(request).console.directory.organization(me.org_id)
    return me.role == "coordinator" and org is not None and org.kind == "network"


_is_network_coordinator = is_network_coordinator  # the name other pages may still use


@login_required
async def report(request: Request, who: SignedIn) -> Response:
    session, me, report_id = who.session, who.adviser, _report_id(request)
    console = context(request).console
    view = await console.cases.reading.open(me.id, who.key, report_id)
    if view is None:
        raise not_found()
    built = sheet.build(view, ConsoleTexts(session.lang), sheet_names(request), console.clock())
    mark = await console.cases.patterns.mark(me.id, who.key, report_id)
    return page(
        request, "report.html", session, view=view, sheet=built, mark=mark,
        handover=await transfers.choices(request, me, view), settable=SETTABLE,
        outcomes=OUTCOMES, open=OPEN_STATUSES, done=request.query_params.get("done"),
        error=request.query_params.get("error"),
    )  # fmt: skip


def sheet_names(request: Request) -> sheet.Names:
    directory = context(request).console.directory
    advisers = [a for o in directory.organizations for a in o.advisers]
    return sheet.Names(
        advisers={a.id: a.name for a in advisers},
        orgs=_org_names(request),
        adviser_orgs={a.id: a.org_id for a in advisers},
    )


def _org_names(request: Request) -> dict[str, str]:
    return {o.id: o.name for o in context(request).console.directory.organizations}


def _names(request: Request) -> dict[str, str]:
    directory = context(request).console.directory
    return {a.id: a.name for o in directory.organizations for a in o.advisers}


_outcome = transfers.outcome


@login_required
async def acknowledge(request: Request, who: SignedIn) -> Response:
    await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    result = await context(request).console.cases.actions.acknowledge(me.id, who.key, report_id)
    return _outcome(request, report_id, result, "acknowledged_now")


@login_required
async def write_message(request: Request, who: SignedIn) -> Response:
    return await _write(request, who, internal=False)


@login_required
async def write_note(request: Request, who: SignedIn) -> Response:
    return await _write(request, who, internal=True)


async def _write(request: Request, who: SignedIn, *, internal: bool) -> Response:
    form = await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    result = await context(request).console.cases.actions.write(
        me.id, who.key, report_id, form.get("text", ""), internal=internal
    )
    return _outcome(request, report_id, result, "saved" if internal else "sent")


@login_required
async def status(request: Request, who: SignedIn) -> Response:
    form = await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    result = await context(request).console.cases.actions.set_status(
        me.id, who.key, report_id, form.get("status", ""), form.get("outcome") or None
    )
    return _outcome(request, report_id, result, "saved")


@login_required
async def attachment(request: Request, who: SignedIn) -> Response:
    me, report_id = who.adviser, _report_id(request)
    attachment_id = str(request.path_params["attachment_id"])
    file = await context(request).console.cases.reading.attachment(
        me.id, who.key, report_id, attachment_id
    )
    if file is None:
        raise not_found()
    # Always a download, never rendered: a student's file must not run in the console.
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", file.name)[:80] or "bijlage"
    return Response(
        file.data,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{safe}"'},
    )


@login_required
async def report_pdf(request: Request, who: SignedIn) -> Response:
    # Imported at the first download, not at start: fpdf2 and fontTools are memory an
    # idle service would otherwise hold.
    from escalation.console import pdf

    session, me, report_id = who.session, who.adviser, _report_id(request)
    console = context(request).console
    view = await console.cases.reading.open(me.id, who.key, report_id, action="pdf")
    if view is None:
        raise not_found()
    data = await asyncio.to_thread(
        pdf.render, view, ConsoleTexts(session.lang), adviser=me.name, made_at=console.clock(),
        names=sheet_names(request), font=pdf.unicode_font(),
    )  # fmt: skip
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{view.summary.reference}.pdf"'},
    )


@login_required
async def audit_log(request: Request, who: SignedIn) -> Response:
    session, me, report_id = who.session, who.adviser, _report_id(request)
    console = context(request).console
    entries = await console.cases.reading.audit_entries(me.id, report_id)
    meta = await console.cases.reading.meta(me.id, report_id)
    if entries is None or meta is None:
        raise not_found()
    summary = next(
        (c for c in await console.cases.reading.list_for(me.id) if c.id == report_id), None
    )
    reference = summary.reference if summary else ""
    lines = audit_lines(entries, ConsoleTexts(session.lang), _names(request), _org_names(request))
    return page(
        request, "audit.html", session, lines=lines, report_id=report_id, reference=reference
    )


@login_required
async def notices(request: Request, who: SignedIn) -> Response:
    session, me = who.session, who.adviser
    console = context(request).console
    failed = await console.cases.reading.failed_notices(_org_adviser_ids(request, me))
    return page(request, "notices.html", session, notices=failed, names=_names(request))
