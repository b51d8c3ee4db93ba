"""Response times, and what happens when nobody acts in time.

Each report gets two deadlines when it is filed: acknowledge (the student hears that
someone took it up) and first feedback. A student's message to an adviser starts a third,
reply (`reply_working_days`), met by the next message to the student. Working days skip
weekends and Dutch public holidays, counted on the Dutch calendar. The EU whistleblower
directive's limits cap whatever is configured: acknowledgement within 7 days, feedback
within 3 months.

A missed deadline escalates one step at a time, `escalate_every` apart: a reminder to
the report's advisers, then the organization's coordinators, then the network's. The
steps live in the database and advance by compare-and-set, so a restart neither loses
nor repeats one, and two replicas never send the same step twice.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from escalation.casework.directory import Adviser, Directory
from storage.repositories.deadlines import DeadlineStore, DueStep

log = logging.getLogger(__name__)

DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
ACKNOWLEDGE, FEEDBACK = "acknowledge", "feedback"
ACKNOWLEDGE_CAP = timedelta(days=7)
FEEDBACK_CAP_MONTHS = 3
STEP_KINDS = ("reminder", "escalated_org", "escalated_network")  # by level reached


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    acknowledge_working_days: int = 2
    acknowledge_urgent_hours: int = 4
    feedback_working_days: int = 10
    reply_working_days: int = 2
    escalate_every: timedelta = timedelta(hours=24)


def due_dates(
    filed: datetime, *, urgent: bool, policy: DeadlinePolicy
) -> tuple[tuple[str, datetime], ...]:
    if urgent:
        acknowledge = filed + timedelta(hours=policy.acknowledge_urgent_hours)
    else:
        acknowledge = add_working_days(filed, policy.acknowledge_working_days)
    feedback = add_working_days(filed, policy.feedback_working_days)
    return (
        (ACKNOWLEDGE, min(acknowledge, filed + ACKNOWLEDGE_CAP)),
        (FEEDBACK, min(feedback, months_later(filed, FEEDBACK_CAP_MONTHS))),
    )


def reply_due(policy: DeadlinePolicy) -> Callable[[datetime], datetime]:
    """When an adviser must answer a student's message stored at a given moment."""
    return lambda written: add_working_days(written, policy.reply_working_days)


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day, `days` Dutch working days later."""
    local = start.astimezone(DUTCH_TIME)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    moved = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=DUTCH_TIME)
    return moved.astimezone(start.tzinfo)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


@cache
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year)


def months_later(start: datetime, months: int) -> datetime:
    """Calendar months, the day clamped to the month's length (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


async def escalate_due(store: DeadlineStore, directory: Directory, policy: DeadlinePolicy) -> int:
    """Takes every overdue deadline one step further; returns how many steps were taken."""
    taken = 0
    for step in await store.due():
        kind = STEP_KINDS[step.level]
        targets = _targets(step, directory)
        notices = tuple((a.id, channel) for a in targets for channel in a.channels)
        if await store.advance(step, policy.escalate_every, kind, notices):
            taken += 1
            log.info(
                "deadline %s of %s missed: %s (%d notices)",
                step.kind,
                step.reference,
                kind,
                len(notices),
            )
    return taken


def _targets(step: DueStep, directory: Directory) -> tuple[Adviser, ...]:
    if step.level == 0:
        return tuple(a for a in map(directory.adviser, step.recipients) if a is not None)
    org = directory.organization(step.org_id) if step.org_id else None
    own = org.coordinators if org is not None else ()
    if step.level == 1:
        return own
    network = directory.network
    told = {a.id for a in own}
    return tuple(a for a in (network.coordinators or network.advisers) if a.id not in told)
