"""The rule every case method goes through: a report is reachable only by opening its
data key sealed to this adviser; what reading and acting both write (the audit entry);
and how every change is made (`CaseStore.change`): found and locked, refused, or done in
one transaction with the student's nudge after its commit.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import proofs, server_key
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import open_adviser_copy
from storage.db.clock import Clock, utcnow
from storage.db.models import Message, Report
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


# Takes a push target ("telegram:<chat id>:<lang>") once the news is committed: the
# service's in-memory nudge queue. Never a table (see bot/intake/nudging.py).
NewsSink = Callable[[str], None]


class Refused(Exception):
    """Raised inside a change: it does not happen (its transaction rolls back), and the
    method (wrapped in `refusals`) answers the refusal instead."""

    def __init__(self, code: str, *, audited: str = "") -> None:
        super().__init__(code)
        self.refusal = CaseRefused(code)
        # When set, the refusal itself is audit-logged (action = code, this as detail),
        # in a transaction of its own after the change's has rolled back.
        self.audited = audited


CONSENT_ALTERED = "consent_altered"


def consent_altered(what: str) -> Refused:
    """The student's consent this action relies on fails its proof (changed in the
    database): refused, and the audit log says so and what was tried."""
    return Refused(CONSENT_ALTERED, audited=what)


@dataclass
class Change:
    """A change in progress: the report (locked), its data key, the time of the change,
    and where to nudge the student once it is committed (`news`, set by the change)."""

    session: AsyncSession
    report: Report
    data_key: bytes
    now: datetime
    news: str | None = None


P = ParamSpec("P")


def refusals(
    method: Callable[P, Awaitable[None]],
) -> Callable[P, Awaitable[CaseRefused | None]]:
    """A case method's answer: None when it happened, else the `Refused` it raised."""

    @functools.wraps(method)
    async def answer(*args: P.args, **kwargs: P.kwargs) -> CaseRefused | None:
        try:
            await method(*args, **kwargs)
        except Refused as refused:
            return refused.refusal
        return None

    return answer


class CaseStore:
    """What every part of `Cases` shares: the sessions, the server key (it keys the audit
    chain), the clock, where news for a student goes (`news`; None where no channel can
    push, e.g. a command-line tool), the audit entry they write, and how they change a
    report (`change`)."""

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

    @asynccontextmanager
    async def change(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        *,
        open_only: bool = True,
    ) -> AsyncIterator[Change]:
        """The report locked for a change, in one transaction: refused not_found unless
        sealed to this adviser (and opened by their key), closed once ended (unless
        `open_only` is False). A `Refused` raised inside rolls it all back; after the
        commit the student hears there is news, if the change says where."""
        now = self.clock()
        try:
            async with self.sessions() as session, session.begin():
                found = await access(session, adviser_id, private, report_id, lock=True)
                if found is None:
                    raise Refused("not_found")
                if open_only and found.report.status not in OPEN_STATUSES:
                    raise Refused("closed")
                change = Change(session, found.report, found.data_key, now)
                yield change
        except Refused as refused:
            if refused.audited:
                await self._audit_refusal(adviser_id, report_id, refused, now)
            raise
        self.tell(change.news)

    async def _audit_refusal(
        self, adviser_id: str, report_id: str, refused: Refused, now: datetime
    ) -> None:
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id)
            if report is not None:
                code, detail = refused.refusal.code, refused.audited
                await self.write_audit(session, adviser_id, report, code, detail, now)

    async def write_audit(
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

    def add_entry(self, session: AsyncSession, row: Message) -> None:
        """A thread entry, with the proof that the service wrote it."""
        session.add(proofs.prove_message(self.server, row))

    def tell(self, target: str | None) -> None:
        """After the commit: a content-free "there is news" to a student who asked."""
        if target is not None and self.news is not None:
            self.news(target)
