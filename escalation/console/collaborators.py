"""What the console needs from the running service, as plain values and objects.

`escalation` must not import `bot`, so the service builds this from its settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from starlette.requests import Request

from escalation.casework.directory import Directory
from escalation.figures.scope import FigureService
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.clock import Clock, utcnow
from storage.repositories.accounts import Accounts
from storage.repositories.advisers import AdviserKeys
from storage.repositories.cases import Cases
from storage.repositories.console_sessions import ConsoleSessions
from storage.repositories.evaluations import EvaluationStore


def _peer(request: Request) -> str:
    return request.client.host if request.client else ""


def progressive_delay(failures: int) -> float:
    """Seconds to wait before answering a failed login: 1, 2, 4 … capped at 8."""
    return float(min(2 ** max(failures - 1, 0), 8))


@dataclass(frozen=True)
class ConsoleConfig:
    idle: timedelta = timedelta(minutes=30)
    secure_cookie: bool = False
    lock_minutes: int = 15
    failure_delay: Callable[[int], float] = progressive_delay
    # Anonymous (pre-login) sessions and signed-in ones have separate room: a flood of
    # anonymous ones evicts the oldest anonymous one, never an adviser's session.
    max_sessions: int = 5000
    max_signed_in: int = 1000
    # Failed logins (in memory; see throttle.py): per account and source address, and
    # per source over all accounts, within lock_minutes.
    login_max_failures: int = 5
    source_max_failures: int = 20
    # The client's address for the throttle: the connection's peer unless the service
    # says how to read it behind a proxy (`web.trusted_proxies`).
    source: Callable[[Request], str] = _peer


# The reflection report's quotes (storage/repositories/evaluations.py): (adviser id, their
# unlocked key, period start, period end) -> what students allowed to be quoted
# anonymously.
QuoteSource = Callable[[str, X25519PrivateKey, datetime, datetime], Awaitable[Sequence[str]]]


@dataclass
class Console:
    """Everything the console's handlers use."""

    accounts: Accounts
    cases: Cases
    advisers: AdviserKeys
    directory: Directory
    config: ConsoleConfig = field(default_factory=ConsoleConfig)
    clock: Clock = utcnow
    evaluations: EvaluationStore | None = None  # students' evaluations after closing
    figures: FigureService | None = None  # the coordinators' figures page; None: off
    quotes: QuoteSource | None = None  # the reflection report's quotes; None: none yet
    # Signed-in sessions in the database (any replica serves any request); None keeps
    # them in this process only (a single process, some tests).
    sessions: ConsoleSessions | None = None
