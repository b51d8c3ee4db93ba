"""The coordinators' deadlines page (Termijnen): every report of their organization (the
network coordinator: of every organization), without content, filtered by organization,
escalation step and deadline kind, sorted by due date, organization, step or filing date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from escalation.console.evaluations import reads_evaluations
from escalation.console.pages import is_network_coordinator
from escalation.console.web import SignedIn, context, login_required, not_found, page
from storage.repositories.cases import CaseSummary

STEPS = ("0", "1", "2", "3")  # escalation levels: none, reminder, organization, network
SORTS = ("due", "org", "step", "date", "reference")


@dataclass(frozen=True)
class Chosen:
    org: str
    step: str
    kind: str
    late: bool
    sort: str
    descending: bool

    @classmethod
    def of(cls, q: Mapping[str, str]) -> Chosen:
        sort = q.get("sort", "due") if q.get("sort") in SORTS else "due"
        default = "desc" if sort in ("step", "date") else "asc"
        return cls(
            org=q.get("org", ""),
            step=q.get("step", "") if q.get("step") in STEPS else "",
            kind=q.get("kind", ""),
            late=bool(q.get("late")),
            sort=sort,
            descending=q.get("dir", default) == "desc",
        )

    def keeps(self, c: CaseSummary, now: datetime) -> bool:
        return (
            (not self.org or c.org_id == self.org)
            and (not self.step or c.step() == int(self.step))
            and (not self.kind or any(d.kind == self.kind and not d.met_at for d in c.deadlines))
            and (not self.late or c.overdue(now))
        )


def _sort_key(sort: str, org_names: Mapping[str, str]) -> Callable[[CaseSummary], Any]:
    if sort == "org":
        return lambda c: (org_names.get(c.org_id or "", c.org_id or ""), c.created_at)
    if sort == "step":
        return lambda c: (c.step(), c.next_due() or c.created_at)
    if sort == "date":
        return lambda c: c.created_at
    if sort == "reference":
        return lambda c: c.reference
    return lambda c: (c.next_due() is None, c.next_due() or c.created_at)


@login_required
async def overview(request: Request, who: SignedIn) -> Response:
    session, me = who.session, who.adviser
    if me.role != "coordinator":
        raise not_found()
    console = context(request).console
    scope = None if is_network_coordinator(request, me) else [me.org_id]
    cases = await console.cases.reading.overview(scope)
    orphans = sorted((await console.cases.reading.orphans(scope)).items(), key=lambda i: i[0] or "")
    await console.cases.reading.log(me.id, "overview", me.org_id)
    # After the log entry: the head shown includes this very view.
    audit_head = await console.cases.reading.audit_head()
    org_names = {o.id: o.name for o in console.directory.organizations}
    chosen = Chosen.of(request.query_params)
    now = console.clock()
    shown = sorted(
        (c for c in cases if chosen.keeps(c, now)),
        key=_sort_key(chosen.sort, org_names),
        reverse=chosen.descending,
    )
    options = {
        "org": sorted({c.org_id for c in cases if c.org_id}, key=lambda o: org_names.get(o, o)),
        "kind": sorted({d.kind for c in cases for d in c.deadlines}),
    }
    return page(
        request, "overview.html", session, cases=shown, total=len(cases), orphans=orphans,
        audit_head=audit_head, org_names=org_names, chosen=chosen, options=options, steps=STEPS,
        evaluations_link=reads_evaluations(request, me.id),
    )  # fmt: skip
