"""The thread every Argon2id derivation runs on, off the event loop.

Scheduling, not cryptography: the derivations themselves (and the lock that keeps them
to one at a time, see `crypto._ARGON2_LOCK`) are in `crypto`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


def _lower_priority() -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), KDF_NICENESS)


_KDF_THREAD = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="argon2id", initializer=_lower_priority
)


async def in_kdf_thread(function: Callable[..., _T], *args: Any) -> _T:
    """Run a blocking Argon2id call off the event loop, on the KDF's own thread."""
    return await asyncio.get_running_loop().run_in_executor(_KDF_THREAD, function, *args)
