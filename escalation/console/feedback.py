"""The students' feedback after closing, for the network's coordinators (issue 12).

One page: every text sealed to the signed-in coordinator, newest month first, with the
score, the organization that followed the report up (while the report exists) and
whether the student allowed quoting it anonymously. Only the network's coordinators
(`Directory.network_coordinators`) hold copies; anyone else gets 404. Reading is
audited by storage.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from escalation.console.web import SignedIn, context, login_required, not_found, page
from storage.repositories.accounts.credentials import LoggedIn


def reads_feedback(request: Request, adviser_id: str) -> bool:
    directory = context(request).console.directory
    return any(a.id == adviser_id for a in directory.network_coordinators)


@login_required
async def feedback_page(request: Request, who: SignedIn) -> Response:
    console = context(request).console
    if console.feedback is None or not reads_feedback(request, who.adviser.id):
        raise not_found()
    entries = await console.feedback.entries(
        LoggedIn(who.adviser.id, who.key), org_id=who.adviser.org_id
    )
    org_names = {o.id: o.name for o in console.directory.organizations}
    return page(request, "feedback.html", who.session, entries=entries, org_names=org_names)
