"""Company patterns in the console: the coordinators' Patterns page, and an adviser's
actions on a report that is part of one (share the company's name with the
coordinators; share the report itself once the student allowed it).

The page shows counts only, and any count below `SMALL` as "< 5", like the statistics:
a pattern of two reports must not tell a coordinator which school's student said what.
The company's name appears only where an adviser holding a matching report chose to
share it, sealed to this coordinator's key.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from escalation.console.pages import REPORT_ID
from escalation.console.web import (
    SignedIn,
    checked_form,
    context,
    login_required,
    not_found,
    page,
    redirect,
)
from storage.repositories.cases import CaseRefused
from storage.repositories.reports import Recipient

SMALL = 5  # like the statistics: fewer than this is shown as "< 5"
TARGETS = ("network", "sbb")


def shown(count: int) -> str:
    """A count as the page prints it: small ones suppressed."""
    return f"< {SMALL}" if count < SMALL else str(count)


def suppressed(counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """(value, count as shown), most frequent first, then by value."""
    return [(value, shown(n)) for value, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


@login_required
async def patterns_page(request: Request, who: SignedIn) -> Response:
    console = context(request).console
    viewer = console.directory.sees_patterns(who.adviser.id)
    if viewer is None:
        raise not_found()
    found = await console.cases.patterns.page(who.adviser.id, who.key, sbb_only=viewer == "sbb")
    org_names = {o.id: o.name for o in console.directory.organizations}
    return page(
        request, "patterns.html", who.session, patterns=found, org_names=org_names,
        suppressed=suppressed, shown=shown,
    )  # fmt: skip


@login_required
async def share_name(request: Request, who: SignedIn) -> Response:
    await checked_form(request, who.session)
    report_id = _report_id(request)
    console = context(request).console
    wanted = console.directory.network_coordinators
    keys = await console.advisers.public_keys([a.id for a in wanted])
    result = await console.cases.patterns.share_company_name(
        who.adviser.id, who.key, report_id, [(a, k) for a, k in keys.items()]
    )
    return _outcome(request, report_id, result, "name_shared")


@login_required
async def share_report(request: Request, who: SignedIn) -> Response:
    form = await checked_form(request, who.session)
    report_id = _report_id(request)
    target = form.get("target", "")
    if target not in TARGETS:
        return _outcome(request, report_id, CaseRefused("not_allowed"), "")
    console = context(request).console
    directory = console.directory
    people = directory.network_coordinators if target == "network" else directory.sbb_advisers
    keys = await console.advisers.public_keys([a.id for a in people])
    notify = [(a.id, c) for a in people if a.id in keys for c in a.channels]
    result = await console.cases.patterns.share_report(
        who.adviser.id, who.key, report_id, target,
        [Recipient(a, k) for a, k in keys.items()], notify,
    )  # fmt: skip
    return _outcome(request, report_id, result, "report_shared")


def _report_id(request: Request) -> str:
    report_id = str(request.path_params["report_id"])
    if not REPORT_ID.fullmatch(report_id):
        raise not_found()
    return report_id


def _outcome(request: Request, report_id: str, result: CaseRefused | None, done: str) -> Response:
    if isinstance(result, CaseRefused):
        if result.code == "not_found":
            raise not_found()
        return redirect(request, f"/reports/{report_id}?error={result.code}#pattern")
    return redirect(request, f"/reports/{report_id}?done={done}#pattern")
