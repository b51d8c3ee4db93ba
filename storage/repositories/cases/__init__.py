"""What an adviser sees and does with the reports sealed to them.

The authorization rule is the data itself: an adviser reaches a report (its content,
attachments, PDF and audit entries) only if the report's data key is sealed to them,
and they can act only by opening that seal with their own private key. Anything else
is "not found" — the caller answers 404, never "forbidden", so nobody learns that a
report exists.

`access` (that rule, and the audit entry every method writes), `reading` (the list, a
report, a file, the overview), `actions` (acknowledging, writing, status), `handover`
(to a colleague, moving, adding an organization, handing back), `patterns` (a report's
company pattern: marker, sharing, the coordinators' page), `views` (the values
returned). The console holds one `Cases`, which is all of them.
"""

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


class Cases(CaseReading, CaseActions, CaseHandovers, PatternCases):
    """The console's one handle on the reports: reading and acting share the sessions,
    the server key and the clock."""


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
