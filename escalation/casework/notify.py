"""Delivers the outbox: content-free notices to advisers, retried until they arrive.

The outbox row is written in the same transaction as what it announces (a new report, a
missed deadline), so a crash never loses a notice; a failed send is retried with growing
delays and stays visible (state, attempts, last error) instead of being dropped. The
delays are the service's one retry schedule (`vocabulary.retry`), without jitter: a row's
next try is written down, not slept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from escalation.casework.directory import Adviser, Directory, Organization
from storage.repositories.outbox import Outbox, PendingNotification
from vocabulary.retry import Backoff

log = logging.getLogger(__name__)

MAX_DELAY = timedelta(hours=1)
SCHEDULE = Backoff(base=30.0, cap=MAX_DELAY.total_seconds(), jitter=0.0)


@dataclass(frozen=True, slots=True)
class Notice:
    """What an adviser is told: never a word of the report, only that there is news."""

    subject: str
    body: str


class Sender(Protocol):
    async def __call__(self, adviser: Adviser, notice: Notice) -> None: ...


Render = Callable[[PendingNotification, Organization], Notice]


class Undeliverable(Exception):
    """The adviser has no address on this channel: retrying will not help until config changes."""


async def deliver_due(
    outbox: Outbox,
    directory: Directory,
    senders: Mapping[str, Sender],
    render: Render,
    now: Callable[[], datetime],
) -> int:
    sent = 0
    for item in await outbox.due():
        if await _deliver(outbox, directory, senders, render, now, item):
            sent += 1
    return sent


async def _deliver(
    outbox: Outbox,
    directory: Directory,
    senders: Mapping[str, Sender],
    render: Render,
    now: Callable[[], datetime],
    item: PendingNotification,
) -> bool:
    adviser = directory.adviser(item.adviser_id)
    org = directory.organization(item.org_id) if item.org_id else None
    sender = senders.get(item.channel)
    if adviser is None or org is None or sender is None:
        await outbox.mark_failed(item.id, "no such adviser or channel", now() + MAX_DELAY)
        return False
    try:
        await sender(adviser, render(item, org))
    except Exception as exc:
        delay = retry_delay(item.attempts)
        log.warning("notice to %s failed (%s); retry in %s", adviser.id, type(exc).__name__, delay)
        await outbox.mark_failed(item.id, type(exc).__name__, now() + delay)
        return False
    await outbox.mark_sent(item.id)
    # DEBUG, not INFO: a notice goes out a second after the student's act that caused it,
    # and its reference with an exact time would date that act (security.md, "Logs").
    log.debug("notified %s (%s) of report %s", adviser.id, item.kind, item.reference)
    return True


def retry_delay(attempts: int) -> timedelta:
    """After `attempts` failed sends: 30 s, doubling, an hour at most."""
    return timedelta(seconds=SCHEDULE.delay(attempts + 1))
