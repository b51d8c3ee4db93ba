"""One report as the figures see it: its plaintext statistics columns and follow-up
facts, nothing a student wrote. `query` reads these; everything else is pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from escalation.casework.deadlines import DUTCH_TIME, is_working_day


@dataclass(frozen=True)
class DeadlineFacts:
    due_at: datetime
    met_at: datetime | None
    level: int  # escalation steps taken: 0 none … 3 network told


@dataclass(frozen=True)
class StatRow:
    created_at: datetime
    org_id: str | None
    phase: str
    grounds: tuple[str, ...]
    level: str | None
    wants: str
    visibility: str
    urgent: bool
    status: str
    outcome: str | None
    acknowledged_at: datetime | None = None
    first_feedback_at: datetime | None = None
    handed_over: bool = False  # to another organization, at least once
    acknowledge: DeadlineFacts | None = None
    feedback: DeadlineFacts | None = None
    sector: str | None = None  # when the report stores one (the optional question)
    channel: str | None = None  # when the report stores one
    demo: bool = False  # seeded by `stagemeld run --demo`


def school_year(moment: datetime) -> int:
    """The school year a moment falls in, by the year of its 1 August (Dutch time)."""
    local = moment.astimezone(DUTCH_TIME)
    return local.year if local.month >= 8 else local.year - 1


def year_label(year: int) -> str:
    return f"{year}/{str(year + 1)[-2:]}"


def year_start(year: int) -> datetime:
    return datetime(year, 8, 1, tzinfo=DUTCH_TIME)


def last_completed_year(now: datetime) -> int:
    """The newest school year that has ended: only ended years are shown, so a figure
    never changes month by month as a new report comes in."""
    return school_year(now) - 1


def month_of(moment: datetime) -> str:
    """ "01".."12": the finest time unit any figure shows."""
    return f"{moment.astimezone(DUTCH_TIME).month:02d}"


def working_days(start: datetime, end: datetime) -> int:
    """Dutch working days after `start`'s day up to and including `end`'s day."""
    first = start.astimezone(DUTCH_TIME).date()
    last = end.astimezone(DUTCH_TIME).date()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def local_date(moment: datetime) -> date:
    return moment.astimezone(DUTCH_TIME).date()
