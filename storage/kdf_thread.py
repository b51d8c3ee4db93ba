"""The thread every Argon2id derivation runs on, off the event loop, and its queue.

Scheduling, not cryptography: the derivations themselves (and the lock that keeps them
to one at a time, see `crypto._ARGON2_LOCK`) are in `crypto`.

The queue has two priorities. Filing a report and an adviser's login (the default,
`HIGH`) always run before any queued status check or withdraw-by-code (`LOW`, chosen by
the caller with `low_priority()`), so a storm of receipt guesses delays a filing student
or a logging-in adviser by at most the one derivation already running. Queued status
checks are bounded: beyond `max_low` waiting, a new one is refused at once with
`KdfBusy` (the caller says "busy, try again in a minute") instead of growing a queue
that would take minutes to drain. Still one derivation at a time: see the deadlock
note at `crypto._ARGON2_LOCK`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from enum import IntEnum
from typing import Any, TypeVar

_T = TypeVar("_T")

# Argon2id gets a thread of its own. Waiting for crypto's one-at-a-time lock inside
# asyncio's default executor would fill its few workers, and everything else that uses
# that executor (aiohttp's DNS lookups for new connections to the Bot API, for one) would
# queue behind the derivations: 20 status checks at once raised other students' p99
# eleven-fold. On Linux that thread also runs at a lower priority (nice +10; OpenSSL's
# lane threads, started from it, inherit that): the derivation then takes the CPU the
# event loop leaves over instead of competing with it. Same work, same cost for an
# attacker.
KDF_NICENESS = 10
# Status checks allowed to wait at once; each is one derivation (~0.2 s by default), so
# the last in the queue waits a few seconds, never minutes.
DEFAULT_MAX_LOW = 20


class Priority(IntEnum):
    HIGH = 0  # filing, console logins and enrolment, the command line
    LOW = 1  # a student's receipt code: /status, withdraw by code


class KdfBusy(Exception):
    """Too many status checks are already waiting; try again in a minute."""


_PRIORITY: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "kdf_priority", default=Priority.HIGH
)


@contextlib.contextmanager
def low_priority() -> Iterator[None]:
    """Derivations started inside (in this task) queue behind every high-priority one."""
    token = _PRIORITY.set(Priority.LOW)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


def _lower_priority() -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), KDF_NICENESS)


_Job = tuple[int, int, "Future[Any]", Callable[..., Any], tuple[Any, ...]]


class KdfQueue:
    """One worker thread taking jobs by (priority, arrival)."""

    def __init__(self, max_low: int = DEFAULT_MAX_LOW) -> None:
        self.max_low = max_low
        self._jobs: list[_Job] = []
        self._order = itertools.count()
        self._low_waiting = 0
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def low_waiting(self) -> int:
        return self._low_waiting

    def submit(self, priority: Priority, function: Callable[..., _T], *args: Any) -> Future[_T]:
        future: Future[_T] = Future()
        with self._ready:
            if priority is Priority.LOW:
                if self._low_waiting >= self.max_low:
                    raise KdfBusy
                self._low_waiting += 1
            heapq.heappush(self._jobs, (priority, next(self._order), future, function, args))
            self._start()
            self._ready.notify()
        return future

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="argon2id", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        _lower_priority()
        while True:
            with self._ready:
                while not self._jobs:
                    self._ready.wait()
                priority, _, future, function, args = heapq.heappop(self._jobs)
                if priority == Priority.LOW:
                    self._low_waiting -= 1
            if not future.set_running_or_notify_cancel():
                continue  # its caller gave up waiting
            try:
                result = function(*args)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)


_QUEUE = KdfQueue()


def queued_low() -> int:
    """Status checks waiting now (for the bench)."""
    return _QUEUE.low_waiting


def set_max_queued_checks(limit: int) -> None:
    """From the settings (`status.max_queued_checks`), at start-up."""
    _QUEUE.max_low = limit


async def in_kdf_thread(function: Callable[..., _T], *args: Any) -> _T:
    """Run a blocking Argon2id call off the event loop, on the KDF's own thread.

    Priority from the context (`low_priority()`); KdfBusy if it is LOW and the queue of
    low-priority jobs is full.
    """
    return await asyncio.wrap_future(_QUEUE.submit(_PRIORITY.get(), function, *args))
