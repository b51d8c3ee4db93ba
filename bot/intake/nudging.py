"""Delivers "there is news on your report" to students who asked for it at submit.

The notice says nothing else: the student sends /status with their code to read it.
Pending nudges live in this process's memory only (`NudgeQueue`), never in the
database: a row holding a chat address next to the moment an adviser answered would
link a chat to a report for anyone holding a copy of the disk and `keys.dir`. Whoever
causes the news (an adviser's answer, a status change, a hand-over) hands the target to
the queue after their transaction commits. The price: a nudge pending when the process
dies is lost, and the student sees the news at their next /status instead.

A chat that blocked the bot or no longer exists is given up on; anything else is retried
with growing delays, for at most `MAX_ATTEMPTS` tries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from escalation.casework.notify import retry_delay
from storage.db.clock import Clock, utcnow

log = logging.getLogger(__name__)

# (chat id, language) -> None; raises GiveUp when retrying cannot help
ChannelSend = Callable[[str, str], Awaitable[None]]

QUEUE_LIMIT = 10_000  # targets pending at once; more are dropped (and logged)
MAX_ATTEMPTS = 20  # about a day and a half with `retry_delay`'s growing delays
BATCH = 50


class GiveUp(Exception):
    """The chat is gone or blocked us: drop the nudge instead of retrying for ever."""


@dataclass
class _Pending:
    attempts: int
    due: datetime


class NudgeQueue:
    """Targets ("telegram:<chat id>:<lang>") waiting for their nudge, in memory only.

    One pending nudge per target: a second piece of news before the first nudge went
    out adds nothing ("there is news" says it all). Runs on the event loop that both
    the console (which queues) and the delivery job use, so it needs no lock.
    """

    def __init__(self, clock: Clock = utcnow, limit: int = QUEUE_LIMIT) -> None:
        self.clock = clock
        self.limit = limit
        self._pending: dict[str, _Pending] = {}

    def put(self, target: str) -> None:
        if target in self._pending:
            return
        if len(self._pending) >= self.limit:
            log.warning("the nudge queue is full (%d): a nudge was dropped", self.limit)
            return
        self._pending[target] = _Pending(0, self.clock())

    def due(self, limit: int = BATCH) -> list[tuple[str, int]]:
        """(target, attempts so far) of nudges whose time has come, oldest first."""
        now = self.clock()
        ready = sorted(
            ((p.due, t, p.attempts) for t, p in self._pending.items() if p.due <= now),
            key=lambda item: item[0],
        )
        return [(target, attempts) for _, target, attempts in ready[:limit]]

    def sent(self, target: str) -> None:
        """Gone for good: nothing of the student's address stays behind."""
        self._pending.pop(target, None)

    def failed(self, target: str, retry_at: datetime) -> None:
        pending = self._pending.get(target)
        if pending is None:
            return
        pending.attempts += 1
        if pending.attempts >= MAX_ATTEMPTS:
            log.info("a nudge was given up after %d attempts", pending.attempts)
            del self._pending[target]
            return
        pending.due = retry_at

    def __len__(self) -> int:
        return len(self._pending)


async def deliver_nudges(
    nudges: NudgeQueue, channels: Mapping[str, ChannelSend], now: Callable[[], datetime]
) -> int:
    sent = 0
    for target, attempts in nudges.due():
        channel, _, rest = target.partition(":")
        chat, _, lang = rest.rpartition(":")
        send = channels.get(channel)
        if send is None or not chat:
            nudges.sent(target)  # nowhere to deliver: nothing to keep it for
            continue
        try:
            await send(chat, lang or "nl")
        except GiveUp:
            log.info("a nudge was given up: the chat is gone or blocked the bot")
            nudges.sent(target)
            continue
        except Exception as exc:
            log.info("a nudge failed (%s); it is tried again later", type(exc).__name__)
            nudges.failed(target, now() + retry_delay(attempts))
            continue
        nudges.sent(target)
        sent += 1
    return sent
