"""The students' evaluations of the follow-up after closing, for the network's
coordinators.

One page: every text sealed to the signed-in coordinator, newest month first, with the
score, the organization that followed the report up (while the report exists) and
whether the student allowed quoting it anonymously. Only the network's coordinators
(`Directory.network_coordinators`) hold copies; anyone else gets 404. Reading is
audited by storage. Its address stays /console/feedback, the word on the advisers'
screen ("Feedback van studenten"), so links and bookmarks keep working.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from escalation.console.web import SignedIn, context, login_required, not_found, page
from storage.repositories.accounts.credentials import LoggedIn


def reads_evaluations(request: Request, adviser_id: str) -> bool:
    directory = context(request).console.directory
    return any(a.id == adviser_id for a in directory.network_coordinators)


@login_required
async def evaluations_page(request: Request, who: SignedIn) -> Response:
    console = context(request).console
    if console.evaluations is None or not reads_evaluations(request, who.adviser.id):
        raise not_found()
    entries = await console.evaluations.entries(
        LoggedIn(who.adviser.id, who.key), org_id=who.adviser.org_id
    )
    org_names = {o.id: o.name for o in console.directory.organizations}
    return page(request, "evaluations.html", who.session, entries=entries, org_names=org_names)
