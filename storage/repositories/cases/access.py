"""The rule every case method goes through: a report is reachable only by opening its
data key sealed to this adviser; and what reading and acting both write (the audit
entry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import server_key
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import open_adviser_copy
from storage.db.clock import Clock, utcnow
from storage.db.models import Report
from storage.repositories import audit
from storage.repositories.cases.views import CaseRefused
from vocabulary import OPEN_STATUSES


@dataclass
class Access:
    report: Report
    data_key: bytes


async def access(
    session: AsyncSession,
    adviser_id: str,
    private: X25519PrivateKey,
    report_id: str,
    *,
    lock: bool = False,
) -> Access | None:
    """The report and its data key, only if it is sealed to this adviser and opens."""
    data_key = await open_adviser_copy(session, report_id, adviser_id, private)
    if data_key is None:
        return None
    report = await session.get(Report, report_id, with_for_update=lock)
    return None if report is None else Access(report, data_key)


async def for_change(
    session: AsyncSession, adviser_id: str, private: X25519PrivateKey, report_id: str
) -> Access | CaseRefused:
    """Locked for a change: not_found unless sealed to this adviser, closed once ended."""
    found = await access(session, adviser_id, private, report_id, lock=True)
    if found is None:
        return CaseRefused("not_found")
    if found.report.status not in OPEN_STATUSES:
        return CaseRefused("closed")
    return found


# Takes a push target ("telegram:<chat id>:<lang>") once the news is committed: the
# service's in-memory nudge queue. Never a table (see bot/intake/nudging.py).
NewsSink = Callable[[str], None]


class CaseStore:
    """Shared by `CaseReading` and `CaseActions`: the sessions, the server key (it keys
    the audit chain), the clock, where news for a student goes (`news`; None where no
    channel can push, e.g. a command-line tool), and the audit entry both write."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        server: server_key.ServerKey,
        clock: Clock = utcnow,
        *,
        news: NewsSink | None = None,
    ) -> None:
        self.sessions = sessions
        self.server = server
        self.clock = clock
        self.news = news

    async def _audit(
        self,
        session: AsyncSession,
        adviser_id: str,
        report: Report,
        action: str,
        detail: str = "",
        now: datetime | None = None,
        org_id: str | None = None,
    ) -> None:
        await audit.append(
            session,
            self.server,
            at=now or self.clock(),
            actor=adviser_id,
            action=action,
            report_id=report.id,
            org_id=org_id or report.org_id,
            detail=detail,
        )

    def _tell(self, target: str | None) -> None:
        """After the commit: a content-free "there is news" to a student who asked."""
        if target is not None and self.news is not None:
            self.news(target)
