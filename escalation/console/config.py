"""What the console needs from the running service, as plain values and objects.

`escalation` must not import `bot`, so the service builds this from its settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from escalation.directory import Directory
from storage.accounts import Accounts
from storage.advisers import AdviserKeys
from storage.cases import Cases
from storage.clock import Clock, utcnow


def progressive_delay(failures: int) -> float:
    """Seconds to wait before answering a failed login: 1, 2, 4 … capped at 8."""
    return float(min(2 ** max(failures - 1, 0), 8))


@dataclass(frozen=True)
class ConsoleConfig:
    idle: timedelta = timedelta(minutes=30)
    secure_cookie: bool = False
    lock_minutes: int = 15
    failure_delay: Callable[[int], float] = progressive_delay
    max_sessions: int = 5000  # anonymous ones included: memory stays bounded


@dataclass
class Console:
    """Everything the console's handlers use."""

    accounts: Accounts
    cases: Cases
    advisers: AdviserKeys
    directory: Directory
    config: ConsoleConfig = field(default_factory=ConsoleConfig)
    clock: Clock = utcnow
