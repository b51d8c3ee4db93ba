"""What the console gets back from `Cases`: plain frozen values, nothing lazy, nothing
that still needs a key or a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vocabulary import ReportStatus

# What an adviser may set a report to in the console, and the outcome codes of closing.
SETTABLE = (ReportStatus.IN_PROGRESS, ReportStatus.WAITING, ReportStatus.CLOSED)
OUTCOMES = ("resolved", "advised", "referred", "no_action", "no_contact")


@dataclass(frozen=True)
class CaseRefused:
    """Why an adviser's action did not happen, as a message key for the console:
    not_found, closed, empty, too_long, bad_status, …"""

    code: str


@dataclass(frozen=True)
class DeadlineView:
    kind: str
    due_at: datetime
    met_at: datetime | None
    level: int

    def overdue(self, now: datetime) -> bool:
        return self.met_at is None and self.due_at < now


@dataclass(frozen=True)
class CaseSummary:
    id: str
    reference: str
    org_id: str | None
    created_at: datetime
    updated_at: datetime
    phase: str
    grounds: tuple[str, ...]
    status: str
    urgent: bool
    outcome: str | None
    deadlines: tuple[DeadlineView, ...]
    unread: int = 0

    def overdue(self, now: datetime) -> bool:
        return any(d.overdue(now) for d in self.deadlines)

    def next_due(self) -> datetime | None:
        due = [d.due_at for d in self.deadlines if d.met_at is None]
        return min(due) if due else None

    def reply_due(self) -> datetime | None:
        """When the student's unanswered message must be answered by (None: none waits)."""
        return next((d.due_at for d in self.deadlines if d.kind == "reply" and not d.met_at), None)

    def step(self) -> int:
        """The furthest escalation step any of its open deadlines reached (0: none)."""
        return max((d.level for d in self.deadlines if d.met_at is None), default=0)


@dataclass(frozen=True)
class CaseThreadItem:
    """One entry of a report's thread as an adviser sees it (internal notes included)."""

    id: str
    created_at: datetime
    author_kind: str  # adviser | student | event
    author_id: str | None
    internal: bool
    event: str | None
    text: str | None
    # The row does not open with the flags it carries (internal, author, scheme changed
    # in the database): shown to advisers as a warning, never its text.
    tampered: bool = False
    # It opens, but lacks the proof the service wrote it (`storage.crypto.proofs`): sealed
    # or moved here by a database writer. Shown "possibly altered", never as plain words.
    altered: bool = False


@dataclass(frozen=True)
class AttachmentView:
    id: str
    message_id: str | None
    created_at: datetime
    name: str
    media_type: str
    size: int
    altered: bool = False  # no proof the service stored it (`storage.crypto.proofs`)


@dataclass(frozen=True)
class CaseView:
    summary: CaseSummary
    fields: dict[str, str]
    thread: tuple[CaseThreadItem, ...]
    attachments: tuple[AttachmentView, ...]
    visibility: str
    wants: str
    when_bucket: str
    level: str | None
    workplace_org_id: str | None
    acknowledged_at: datetime | None
    first_feedback_at: datetime | None
    closed_at: datetime | None
    withdrawn_at: datetime | None
    readers: tuple[str, ...]  # the advisers it is sealed to
    filed_org_id: str | None = None  # the organization it was filed with
    handed_from_org_id: str | None = None  # the one that moved it here (may be handed back)


@dataclass(frozen=True)
class FailedNotice:
    id: int
    kind: str
    adviser_id: str
    reference: str
    channel: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class ReportMeta:
    """What a hand-over decision needs: the student's choice, not the content."""

    id: str
    org_id: str | None
    visibility: str
    workplace_org_id: str | None
    status: str
    handed_from_org_id: str | None = None
