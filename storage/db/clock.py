"""Time as a parameter, so tests can move it; and how precisely a student's acts are kept.

Times tied to something a student did (filing, answering, sending a file, withdrawing,
a wrong receipt code, a Telegram update) are stored to the hour, not the microsecond:
whoever holds a student's phone sees when each message went out, and exact times in a
seized database would match them to a report. The hour is all the deadlines need (they
count hours and working days) and is cut *down*, so a deadline computed from it falls
at most an hour earlier, never later. Advisers' own acts keep exact times.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

STUDENT_PRECISION = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(microseconds=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def floor_to(moment: datetime, grain: timedelta) -> datetime:
    """`moment` cut down to a whole multiple of `grain` (counted from the Unix epoch)."""
    return moment - (moment - _EPOCH) % grain


def ceil_to(moment: datetime, grain: timedelta) -> datetime:
    """`moment` rounded up to a whole multiple of `grain` (itself if already one)."""
    floor = floor_to(moment, grain)
    return floor if floor == moment else floor + grain


def student_time(now: datetime, *, after: datetime | None = None) -> datetime:
    """When a student's act is stored: the hour it happened in, cut down.

    `after` (the latest time already stored on the same report: a message, an
    adviser's read mark) keeps the order: an answer the student gives at 14:37 to an
    adviser's message of 14:20 is stored at 14:20 plus a microsecond, not at 14:00,
    so the thread still reads in order and the adviser still sees it unread. That
    stored time tells nothing the order does not already tell.
    """
    moment = floor_to(now, STUDENT_PRECISION)
    if after is not None and moment <= after:
        return after + _TICK
    return moment
