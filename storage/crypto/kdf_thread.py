"""The threads Argon2id derivations run on, off the event loop, and their queue.

Scheduling, not cryptography: the derivations themselves are in `kdf`.

A bounded pool: at most `workers` derivations at once (by default the machine's cores),
each on a thread of its own. argon2-cffi releases the GIL for the whole derivation and
shares no pool between derivations, so they run side by side. (The old "one at a time"
lock is gone with `cryptography`'s Argon2id, which deadlocked when two derived at once;
tests/unit/storage/test_kdf_pool.py runs many at once to completion.) More than `cores`
at once would only share the same cores and multiply the 64 MiB working areas.

Two priorities. Filing a report and an adviser's login (the default, `HIGH`) always
start before any queued status check or withdraw-by-code (`LOW`, chosen by the caller
with `low_priority()`); status checks never take the last free slot of the pool, so a
filing student or a logging-in adviser starts deriving at once even during a storm of
receipt guesses; and status checks run on threads niced further than filing's
(`LOW_NICENESS`), so the filing derivation gets most of the cores while both run;
and they compute their lanes one after another on their own thread
(`kdf.argon2_on_one_thread`: the same key), so a storm of them keeps to the one core
its slot is given and leaves the other to the event loop.
(With one core there is one slot: then a high-priority job waits for at most the one
derivation already running.) Queued status checks are bounded: beyond `max_low`
waiting, a new one is refused at once with `KdfBusy` (the caller says "busy, try again
in a minute") instead of growing a queue that would take minutes to drain.
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

from storage.crypto import kdf

_T = TypeVar("_T")

# Argon2id gets threads of its own. Deriving inside asyncio's default executor would
# fill its few workers, and everything else that uses
# that executor (aiohttp's DNS lookups for new connections to the Bot API, for one) would
# queue behind the derivations: 20 status checks at once raised other students' p99
# eleven-fold. On Linux those threads also run at a lower priority (nice +10; the lane
# threads argon2 starts from them inherit that): a derivation then takes the CPU the
# event loop leaves over instead of competing with it. Same work, same cost for an
# attacker.
KDF_NICENESS = 10
# Status checks' threads, lower still: on Linux's fair scheduler a nice-19 thread gets
# about 1/7 of the CPU a nice-10 one gets when both want it (weights 15 and 110).
LOW_NICENESS = 19
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


# Set by a caller that keeps a waiting line of its own in front of the pool (the bot's
# receipt gate): when that line is full, its low-priority derivations are refused here at
# once, so "busy, try again in a minute" still comes at the same bound.
_REFUSE_LOW: contextvars.ContextVar[bool] = contextvars.ContextVar("kdf_refuse_low", default=False)


@contextlib.contextmanager
def low_priority() -> Iterator[None]:
    """Derivations started inside (in this task) queue behind every high-priority one."""
    token = _PRIORITY.set(Priority.LOW)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


@contextlib.contextmanager
def refuse_low() -> Iterator[None]:
    """Low-priority derivations started inside (in this task) raise KdfBusy at once:
    the caller's own queue in front of the pool is full."""
    token = _REFUSE_LOW.set(True)
    try:
        yield
    finally:
        _REFUSE_LOW.reset(token)


def _lower_priority(niceness: int) -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


_Job = tuple[int, "Future[Any]", Callable[..., Any], tuple[Any, ...]]


def default_workers() -> int:
    """The cores this process may run on: what the machine can derive at once."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class KdfQueue:
    """Up to `workers` derivations at once, taken by (priority, arrival).

    Each priority has its own threads (their nice value is set once, when they start:
    an unprivileged thread may lower its priority but never raise it again) and its own
    first-come-first-served queue; one condition guards both.
    """

    def __init__(self, max_low: int = DEFAULT_MAX_LOW, workers: int | None = None) -> None:
        self.max_low = max_low
        self.workers = workers or default_workers()
        self._jobs: dict[Priority, list[_Job]] = {Priority.HIGH: [], Priority.LOW: []}
        self._order = itertools.count()
        self._running = {Priority.HIGH: 0, Priority.LOW: 0}
        self._threads: dict[Priority, list[threading.Thread]] = {
            Priority.HIGH: [],
            Priority.LOW: [],
        }
        self._idle = {Priority.HIGH: 0, Priority.LOW: 0}
        self._ready = threading.Condition()

    @property
    def low_waiting(self) -> int:
        return len(self._jobs[Priority.LOW])

    def submit(self, priority: Priority, function: Callable[..., _T], *args: Any) -> Future[_T]:
        future: Future[_T] = Future()
        with self._ready:
            if priority is Priority.LOW and self.low_waiting >= self.max_low:
                raise KdfBusy
            heapq.heappush(self._jobs[priority], (next(self._order), future, function, args))
            self._start(priority)
            self._ready.notify_all()
        return future

    def _limit(self, priority: Priority) -> int:
        """Threads of this priority: all the slots for HIGH; LOW leaves one free."""
        return self.workers if priority is Priority.HIGH else max(1, self.workers - 1)

    def _may_take(self, priority: Priority) -> bool:
        running = sum(self._running.values())
        if not self._jobs[priority] or running >= self.workers:
            return False
        if priority is Priority.HIGH:
            return True
        return not self._jobs[Priority.HIGH] and running < self._limit(Priority.LOW)

    def _start(self, priority: Priority) -> None:
        threads = self._threads[priority]
        if len(self._jobs[priority]) > self._idle[priority] and len(threads) < self._limit(
            priority
        ):
            name = "argon2id" if priority is Priority.HIGH else "argon2id-low"
            thread = threading.Thread(target=self._work, args=(priority,), name=name, daemon=True)
            threads.append(thread)
            thread.start()

    def _work(self, priority: Priority) -> None:
        _lower_priority(KDF_NICENESS if priority is Priority.HIGH else LOW_NICENESS)
        if priority is Priority.LOW:  # a storm of status checks keeps to its one core
            kdf.argon2_on_one_thread()
        while True:
            with self._ready:
                self._idle[priority] += 1
                while not self._may_take(priority):
                    self._ready.wait()
                self._idle[priority] -= 1
                _, future, function, args = heapq.heappop(self._jobs[priority])
                self._running[priority] += 1
            try:
                if future.set_running_or_notify_cancel():  # else its caller gave up
                    _run(future, function, args)
            finally:
                with self._ready:
                    self._running[priority] -= 1
                    self._ready.notify_all()


def _run(future: Future[Any], function: Callable[..., Any], args: tuple[Any, ...]) -> None:
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


def workers() -> int:
    """Derivations that may run at once (for the bench)."""
    return _QUEUE.workers


def set_max_queued_checks(limit: int) -> None:
    """From the settings (`status.max_queued_checks`), at start-up."""
    _QUEUE.max_low = limit


async def in_kdf_thread(function: Callable[..., _T], *args: Any) -> _T:
    """Run a blocking Argon2id call off the event loop, on one of the KDF's threads.

    Priority from the context (`low_priority()`); KdfBusy if it is LOW and the queue of
    low-priority jobs is full, or the caller's own queue is (`refuse_low()`).
    """
    priority = _PRIORITY.get()
    if priority is Priority.LOW and _REFUSE_LOW.get():
        raise KdfBusy
    return await asyncio.wrap_future(_QUEUE.submit(priority, function, *args))
