"""A report's status: stored in `reports.status`, shown to the student, set in the console."""

from __future__ import annotations

from enum import StrEnum


class ReportStatus(StrEnum):
    """In the order a report goes through them (the locale keys `status_<value>` too)."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # the adviser waits for the student
    CLOSED = "closed"  # by an adviser, with an outcome
    WITHDRAWN = "withdrawn"  # by the student


# Open: the student may answer and withdraw, advisers may act, deadlines escalate.
OPEN_STATUSES = frozenset({ReportStatus.RECEIVED, ReportStatus.IN_PROGRESS, ReportStatus.WAITING})
# Ended: nothing happens any more but erasure after the retention period.
ENDED_STATUSES = frozenset(ReportStatus) - OPEN_STATUSES
