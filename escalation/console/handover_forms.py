"""The hand-over forms of a report: to a colleague, move to another organization, add
another organization, and hand back (undo a hand-over, from the receiving side).

Which organizations are offered is `handover.allowed_organizations` (the student's
choice); storage decides whether the report is sealed to the adviser at all (404 if
not) and what a hand back means for this report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from escalation.casework.directory import Adviser, Organization
from escalation.console.handover import allowed_organizations
from escalation.console.web import (
    SignedIn,
    checked_form,
    context,
    login_required,
    not_found,
    redirect,
)
from storage.repositories.cases import CaseRefused, CaseView, ReportMeta
from storage.repositories.reports import Recipient

REPORT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Choices:
    """What the report page offers. `back_to`: where a hand back sends the report (the
    organization that moved it here, or the report's own organization when this one
    reads it beside that one); None when there is nothing to hand back."""

    colleagues: list[Adviser]
    move: list[Organization]
    add: list[Organization]
    back_to: Organization | None
    back_kind: str  # return | leave | ""


async def choices(request: Request, me: Adviser, view: CaseView) -> Choices:
    console = context(request).console
    directory = console.directory
    org = directory.organization(me.org_id)
    mates = [a for a in (org.advisers if org else ()) if a.id != me.id]
    keyed = await console.advisers.public_keys([a.id for a in mates])
    colleagues = [a for a in mates if a.id in keyed and a.id not in view.readers]
    allowed = allowed_organizations(
        directory, visibility=view.visibility, from_org=me.org_id,
        workplace_org=view.workplace_org_id,
    )  # fmt: skip
    reading = {a.org_id for a in map(directory.adviser, view.readers) if a is not None}
    back_to, kind = _back(request, me, view.summary.org_id, view.handed_from_org_id)
    return Choices(colleagues, allowed, [o for o in allowed if o.id not in reading], back_to, kind)


def _back(
    request: Request, me: Adviser, owner: str | None, handed_from: str | None
) -> tuple[Organization | None, str]:
    directory = context(request).console.directory
    if owner is not None and owner != me.org_id:
        return directory.organization(owner), "leave"
    if owner == me.org_id and handed_from is not None:
        return directory.organization(handed_from), "return"
    return None, ""


def _report_id(request: Request) -> str:
    report_id = str(request.path_params["report_id"])
    if not REPORT_ID.fullmatch(report_id):
        raise not_found()
    return report_id


def outcome(request: Request, report_id: str, result: CaseRefused | None, done: str) -> Response:
    if isinstance(result, CaseRefused):
        if result.code == "not_found":
            raise not_found()
        return redirect(request, f"/reports/{report_id}?error={result.code}#actions")
    return redirect(request, f"/reports/{report_id}?done={done}")


@login_required
async def colleague(request: Request, who: SignedIn) -> Response:
    form = await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    console = context(request).console
    if await console.cases.reading.meta(me.id, report_id) is None:
        raise not_found()
    mate = console.directory.adviser(form.get("adviser", ""))
    if mate is None or mate.org_id != me.org_id:
        return outcome(request, report_id, CaseRefused("no_recipients"), "")
    keys = await console.advisers.public_keys([mate.id])
    if mate.id not in keys:
        return outcome(request, report_id, CaseRefused("no_recipients"), "")
    result = await console.cases.handovers.to_colleague(
        me.id, who.key, report_id, Recipient(mate.id, keys[mate.id]), mate.channels
    )
    return outcome(request, report_id, result, "handed_over")


async def _target(
    request: Request, me: Adviser, report_id: str, org_id: str
) -> Organization | CaseRefused:
    """The organization chosen, if the student's choice allows it (404 if the report is
    not the adviser's)."""
    console = context(request).console
    meta = await console.cases.reading.meta(me.id, report_id)
    if meta is None:
        raise not_found()
    allowed = allowed_organizations(
        console.directory, visibility=meta.visibility, from_org=me.org_id,
        workplace_org=meta.workplace_org_id,
    )  # fmt: skip
    found = next((o for o in allowed if o.id == org_id), None)
    return found if found is not None else CaseRefused("not_allowed")


async def _recipients(
    request: Request, org: Organization
) -> tuple[list[Recipient], list[tuple[str, str]]]:
    """The organization's enrolled advisers (their keys) and where to tell them."""
    keys = await context(request).console.advisers.public_keys([a.id for a in org.advisers])
    recipients = [Recipient(a, k) for a, k in keys.items()]
    notify = [(a.id, c) for a in org.advisers if a.id in keys for c in a.channels]
    return recipients, notify


@login_required
async def move(request: Request, who: SignedIn) -> Response:
    form = await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    target = await _target(request, me, report_id, form.get("org", ""))
    if isinstance(target, CaseRefused):
        return outcome(request, report_id, target, "")
    recipients, notify = await _recipients(request, target)
    result = await context(request).console.cases.handovers.move(
        me.id, who.key, report_id, target.id, recipients, notify
    )
    if result is None:  # the report has left this organization: back to the list
        return redirect(request, "/reports?done=handed_over")
    return outcome(request, report_id, result, "handed_over")


@login_required
async def add(request: Request, who: SignedIn) -> Response:
    form = await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    target = await _target(request, me, report_id, form.get("org", ""))
    if isinstance(target, CaseRefused):
        return outcome(request, report_id, target, "")
    recipients, notify = await _recipients(request, target)
    result = await context(request).console.cases.handovers.add(
        me.id, who.key, report_id, target.id, recipients, notify
    )
    return outcome(request, report_id, result, "org_added")


@login_required
async def back(request: Request, who: SignedIn) -> Response:
    await checked_form(request, who.session)
    me, report_id = who.adviser, _report_id(request)
    console = context(request).console
    meta = await console.cases.reading.meta(me.id, report_id)
    if meta is None:
        raise not_found()
    recipients, notify = await _back_recipients(request, me, meta)
    result = await console.cases.handovers.hand_back(me.id, who.key, report_id, recipients, notify)
    if result is None:  # this organization no longer reads it
        return redirect(request, "/reports?done=handed_back")
    return outcome(request, report_id, result, "")


async def _back_recipients(
    request: Request, me: Adviser, meta: ReportMeta
) -> tuple[list[Recipient], list[tuple[str, str]]]:
    """Who gets the report back: the organization that moved it here (storage checks
    that their keys are stored under it); nobody new when this one only steps back."""
    to, kind = _back(request, me, meta.org_id, meta.handed_from_org_id)
    if to is None or kind == "leave":  # stepping back: the others read it already
        return [], []
    return await _recipients(request, to)
