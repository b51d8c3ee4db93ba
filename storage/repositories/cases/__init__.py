"""What an adviser sees and does with the reports sealed to them.

The authorization rule is the data itself: an adviser reaches a report (its content,
attachments, PDF and audit entries) only if the report's data key is sealed to them,
and they can act only by opening that seal with their own private key. Anything else
is "not found" — the caller answers 404, never "forbidden", so nobody learns that a
report exists.

`access` (that rule, the audit entry every method writes, and `CaseStore.change`, the
one way a report is changed), `reading` (the list, a report, a file, the overview),
`actions` (acknowledging, writing, status), `handover` (to a colleague, moving, adding
an organization, handing back), `patterns` (a report's company pattern: marker,
sharing, the coordinators' page), `views` (the values returned). The console holds one
`Cases`, which holds one of each: `cases.reading.open(...)`, `cases.actions.write(...)`,
`cases.handovers.move(...)`, `cases.patterns.mark(...)`.
"""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import server_key
from storage.db.clock import Clock, utcnow
from storage.repositories.cases.access import CaseStore, NewsSink
from storage.repositories.cases.actions import TEXT_MAX, CaseActions
from storage.repositories.cases.handover import CaseHandovers
from storage.repositories.cases.patterns import PatternCases, PatternMark, PatternPage
from storage.repositories.cases.reading import CaseReading
from storage.repositories.cases.views import (
    OUTCOMES,
    SETTABLE,
    AttachmentView,
    CaseRefused,
    CaseSummary,
    CaseThreadItem,
    CaseView,
    DeadlineView,
    FailedNotice,
    ReportMeta,
)


class Cases:
    """The console's one handle on the reports: its parts share the sessions, the server
    key, the clock and where news for a student goes (one `CaseStore`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        server: server_key.ServerKey,
        clock: Clock = utcnow,
        *,
        news: NewsSink | None = None,
    ) -> None:
        store = CaseStore(sessions, server, clock, news=news)
        self.reading = CaseReading(store)
        self.actions = CaseActions(store)
        self.handovers = CaseHandovers(store)
        self.patterns = PatternCases(store)


__all__ = [
    "OUTCOMES",
    "SETTABLE",
    "TEXT_MAX",
    "AttachmentView",
    "CaseActions",
    "CaseHandovers",
    "CaseReading",
    "CaseRefused",
    "CaseSummary",
    "CaseThreadItem",
    "CaseView",
    "Cases",
    "DeadlineView",
    "FailedNotice",
    "PatternCases",
    "PatternMark",
    "PatternPage",
    "ReportMeta",
]
