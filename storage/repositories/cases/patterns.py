"""What an adviser does with a report that is part of a company pattern: see that it
is (the marker), share the company's name with the coordinators, and — once the student
allowed it — share the report itself with the network or SBB. And the coordinators'
view of the patterns, with the names shared with them opened by their own key.

Every action goes through the adviser's own seal (`access`), like every case action,
and is audit-logged in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from storage.crypto import aead, matching, proofs
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import ADVISER, sealed_copy, sealed_copy_row, verified_recipients
from storage.db.models import PatternMember, PatternName
from storage.repositories import audit, patterns
from storage.repositories.cases.access import (
    CaseStore,
    Refused,
    access,
    consent_altered,
    refusals,
)
from storage.repositories.outbox import notification_rows
from storage.repositories.reports import Recipient, report_content


@dataclass(frozen=True)
class PatternMark:
    """A report's place in a pattern, as its adviser sees it."""

    pattern_id: str
    reports: int  # how many reports the pattern holds
    share_allowed: tuple[str, ...]  # what the student allowed: network | sbb
    name_shared: bool  # this report's company name was shared with the coordinators


@dataclass(frozen=True)
class PatternPage:
    """A pattern on the coordinators' page: counts (the console suppresses small ones)
    and the company names advisers shared with this coordinator, opened."""

    figures: patterns.PatternFigures
    names: tuple[str, ...]


class PatternCases:
    """`cases.patterns`: the marker, sharing a company's name or a report, the
    coordinators' page."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    async def marks(self, report_ids: Iterable[str]) -> dict[str, str]:
        """report id → pattern id: the marker in an adviser's list (ids they hold)."""
        async with self.store.sessions() as session:
            return await patterns.patterns_of(session, report_ids)

    async def mark(
        self, adviser_id: str, private: X25519PrivateKey, report_id: str
    ) -> PatternMark | None:
        async with self.store.sessions() as session:
            found = await access(session, adviser_id, private, report_id)
            if found is None:
                return None
            member = await session.get(PatternMember, report_id)
            if member is None:
                return None
            count = len(await patterns.pattern_members(session, member.pattern_id))
            shared = await session.scalar(
                select(PatternName.id).where(PatternName.report_id == report_id).limit(1)
            )
        allowed = tuple(filter(None, member.share_allowed.split(",")))
        if not proofs.share_proven(self.store.server, member):
            allowed = ()  # not the student's: a writer's
        return PatternMark(member.pattern_id, count, allowed, shared is not None)

    @refusals
    async def share_company_name(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        coordinators: Sequence[tuple[str, bytes]],
    ) -> None:
        """The company as the student named it (name, town, KvK number), sealed to each
        coordinator; the adviser decides, the audit log records it."""
        async with self.store.change(adviser_id, private, report_id, open_only=False) as change:
            session = change.session
            member = await session.get(PatternMember, report_id)
            if member is None:
                raise Refused("no_pattern")
            if not coordinators:
                raise Refused("no_recipients")
            fields = await report_content(session, report_id, change.data_key)
            name = company_as_named(fields)
            if not name:
                raise Refused("no_pattern")
            await patterns.share_name(
                session,
                self.store.server,
                adviser_id=adviser_id,
                report=change.report,
                pattern_id=member.pattern_id,
                name=name,
                coordinators=coordinators,
                now=change.now,
            )

    @refusals
    async def share_report(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        target: str,
        recipients: Sequence[Recipient],
        notify: Sequence[tuple[str, str]] = (),
    ) -> None:
        """The report itself, to the network's coordinators or SBB's advisers: only what
        the student allowed (`/status`). The data key is sealed to them (re-sealed from
        this adviser's copy), with a hand-over notice and an audit entry."""
        async with self.store.change(adviser_id, private, report_id, open_only=False) as change:
            session, now = change.session, change.now
            member = await session.get(PatternMember, report_id)
            if member is None:
                raise Refused("not_allowed")
            # What the student allowed counts only with the proof the service wrote it.
            if not proofs.share_proven(self.store.server, member):
                raise consent_altered(f"pattern_report_shared:{target}")
            if target not in member.share_allowed.split(","):
                raise Refused("not_allowed")
            readers = await verified_recipients(
                session, self.store.server, [(r.adviser_id, r.public_key) for r in recipients]
            )
            new = [
                (a, k)
                for a, k in readers
                if await sealed_copy(session, report_id, ADVISER, a) is None
            ]
            if not new:
                raise Refused("no_recipients")
            session.add_all(
                sealed_copy_row(change.data_key, report_id, ADVISER, a, k) for a, k in new
            )
            fresh = {a for a, _ in new}
            targets = [(a, c) for a, c in notify if a in fresh]
            session.add_all(notification_rows(report_id, targets, "handed_over", now))
            detail = f"{target}:{','.join(sorted(fresh))}"
            await self.store.write_audit(
                session, adviser_id, change.report, "pattern_report_shared", detail, now
            )

    async def page(
        self, coordinator_id: str, private: X25519PrivateKey, *, sbb_only: bool = False
    ) -> list[PatternPage]:
        """The patterns this coordinator may see; viewing is audit-logged."""
        store = self.store
        async with store.sessions() as session, session.begin():
            found = await patterns.pattern_figures(session, coordinator_id, sbb_only=sbb_only)
            await audit.append(
                session,
                store.server,
                at=store.clock(),
                actor=coordinator_id,
                action="patterns_view",
            )
        return [PatternPage(f, _opened(f, private)) for f in found]


def company_as_named(fields: dict[str, str]) -> str:
    """What the student gave: the name, its town and KvK number when they gave them."""
    name = fields.get("workplace", "").strip()
    extra = [fields.get("workplace_town", "").strip()]
    kvk = fields.get("workplace_kvk", "").strip()
    if kvk:
        extra.append(f"KvK {kvk}")
    rest = ", ".join(e for e in extra if e)
    return f"{name} ({rest})" if name and rest else name


def _opened(figures: patterns.PatternFigures, private: X25519PrivateKey) -> tuple[str, ...]:
    names = []
    for report_id, sealed in figures.names:
        try:
            names.append(
                matching.open_shared_name(
                    sealed, private, pattern_id=figures.id, report_id=report_id
                )
            )
        except aead.CryptoError:
            continue  # sealed to an older key of this coordinator: not readable any more
    return tuple(sorted(set(names)))
