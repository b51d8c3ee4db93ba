"""What an adviser sees and does with the reports sealed to them.

The authorization rule is the data itself: an adviser reaches a report (its content,
attachments, PDF and audit entries) only if the report's data key is sealed to them,
and they can act only by opening that seal with their own private key. Anything else
is "not found" — the caller answers 404, never "forbidden", so nobody learns that a
report exists. Every action writes its audit entry, its follow-up bookkeeping
(acknowledged, first feedback, deadlines met) and the student's nudge in the same
transaction as the action itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, crypto, thread
from storage.clock import Clock, utcnow
from storage.deadlines import mark_met
from storage.models import (
    AdviserKey,
    Attachment,
    Deadline,
    Message,
    Notification,
    ReadMark,
    Report,
    ReportField,
    SealedKey,
)
from storage.nudges import queue_nudge
from storage.outbox import notification_rows
from storage.reports import (
    ADVISER,
    PUSH_TARGET_FIELD,
    REPORT_KEY_FIELD,
    Recipient,
    forget_push_target,
    report_private_key,
)

HIDDEN_FIELDS = (REPORT_KEY_FIELD, PUSH_TARGET_FIELD)
OPEN = ("received", "in_progress", "waiting")
SETTABLE = ("in_progress", "waiting", "closed")
OUTCOMES = ("resolved", "advised", "referred", "no_action", "no_contact")
TEXT_MAX = 8000


@dataclass(frozen=True)
class Refused:
    """A message key for the console: not_found, closed, empty, too_long, …"""

    code: str


@dataclass(frozen=True)
class DeadlineView:
    kind: str
    due_at: datetime
    met_at: datetime | None
    level: int

    def overdue(self, now: datetime) -> bool:
        return self.met_at is None and self.due_at < now


@dataclass(frozen=True)
class CaseSummary:
    id: str
    reference: str
    org_id: str | None
    created_at: datetime
    updated_at: datetime
    phase: str
    grounds: tuple[str, ...]
    status: str
    urgent: bool
    outcome: str | None
    deadlines: tuple[DeadlineView, ...]
    unread: int = 0

    def overdue(self, now: datetime) -> bool:
        return any(d.overdue(now) for d in self.deadlines)

    def next_due(self) -> datetime | None:
        due = [d.due_at for d in self.deadlines if d.met_at is None]
        return min(due) if due else None


@dataclass(frozen=True)
class ThreadEntry:
    id: str
    created_at: datetime
    author_kind: str  # adviser | student | event
    author_id: str | None
    internal: bool
    event: str | None
    text: str | None


@dataclass(frozen=True)
class AttachmentView:
    id: str
    message_id: str | None
    created_at: datetime
    name: str
    media_type: str
    size: int


@dataclass(frozen=True)
class CaseView:
    summary: CaseSummary
    fields: dict[str, str]
    thread: tuple[ThreadEntry, ...]
    attachments: tuple[AttachmentView, ...]
    visibility: str
    wants: str
    when_bucket: str
    level: str | None
    workplace_org_id: str | None
    acknowledged_at: datetime | None
    first_feedback_at: datetime | None
    closed_at: datetime | None
    withdrawn_at: datetime | None
    readers: tuple[str, ...]  # the advisers it is sealed to


@dataclass(frozen=True)
class FailedNotice:
    id: int
    kind: str
    adviser_id: str
    reference: str
    channel: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class ReportMeta:
    """What a hand-over decision needs: the student's choice, not the content."""

    id: str
    org_id: str | None
    visibility: str
    workplace_org_id: str | None
    status: str


@dataclass
class _Access:
    report: Report
    data_key: bytes


async def _access(
    session: AsyncSession,
    adviser_id: str,
    private: X25519PrivateKey,
    report_id: str,
    *,
    lock: bool = False,
) -> _Access | None:
    """The report and its data key, only if it is sealed to this adviser and opens."""
    sealed = await _sealed(session, adviser_id, report_id)
    if sealed is None:
        return None
    try:
        data_key = crypto.open_key(sealed, private, report_id=report_id)
    except crypto.CryptoError:
        return None
    report = await session.get(Report, report_id, with_for_update=lock)
    return None if report is None else _Access(report, data_key)


async def _for_change(
    session: AsyncSession, adviser_id: str, private: X25519PrivateKey, report_id: str
) -> _Access | Refused:
    """Locked for a change: not_found unless sealed to this adviser, closed once ended."""
    found = await _access(session, adviser_id, private, report_id, lock=True)
    if found is None:
        return Refused("not_found")
    if found.report.status not in OPEN:
        return Refused("closed")
    return found


async def _sealed(session: AsyncSession, adviser_id: str, report_id: str) -> bytes | None:
    sealed: bytes | None = await session.scalar(
        select(SealedKey.sealed).where(
            SealedKey.report_id == report_id,
            SealedKey.recipient_kind == ADVISER,
            SealedKey.recipient_id == adviser_id,
        )
    )
    return sealed


def _upsert(session: AsyncSession) -> type[postgresql.Insert] | type[sqlite.Insert]:
    dialect = session.bind.dialect.name if session.bind is not None else ""
    return postgresql.Insert if dialect == "postgresql" else sqlite.Insert


class Cases:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        server: crypto.ServerKey,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.server = server
        self.clock = clock

    # --- reading ------------------------------------------------------------------------

    async def list_for(self, adviser_id: str) -> list[CaseSummary]:
        """Every report sealed to this adviser: metadata only, nothing decrypted."""
        async with self.sessions() as session:
            reports = (
                await session.scalars(
                    select(Report)
                    .join(SealedKey, SealedKey.report_id == Report.id)
                    .where(
                        SealedKey.recipient_kind == ADVISER, SealedKey.recipient_id == adviser_id
                    )
                    .order_by(Report.created_at.desc())
                )
            ).all()
            ids = [r.id for r in reports]
            deadlines = await _deadlines(session, ids)
            unread = await _unread(session, adviser_id, ids)
        return [_summary(r, deadlines.get(r.id, ()), unread.get(r.id, 0)) for r in reports]

    async def open(
        self, adviser_id: str, private: X25519PrivateKey, report_id: str, *, action: str = "view"
    ) -> CaseView | None:
        """The whole report, decrypted; logged as `action` (view, pdf) and marked read."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await _access(session, adviser_id, private, report_id)
            if found is None:
                return None
            report, key = found.report, found.data_key
            view = await _view(session, report, key)
            if action == "view":
                await _mark_read(session, adviser_id, report_id, now)
            await self._audit(session, adviser_id, report, action, now=now)
        return view

    async def attachment(
        self, adviser_id: str, private: X25519PrivateKey, report_id: str, attachment_id: str
    ) -> thread.FileContent | None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await _access(session, adviser_id, private, report_id)
            row = await session.get(Attachment, attachment_id)
            if found is None or row is None or row.report_id != report_id:
                return None
            report_private = await report_private_key(session, report_id, found.data_key)
            if report_private is None:
                return None
            file = thread.open_file(row.sealed, report_private, report_id, attachment_id)
            await self._audit(session, adviser_id, found.report, "download", attachment_id, now)
        return file

    async def meta(self, adviser_id: str, report_id: str) -> ReportMeta | None:
        """Plaintext columns of a report sealed to this adviser (None otherwise)."""
        async with self.sessions() as session:
            report = await session.get(Report, report_id)
            if report is None or await _sealed(session, adviser_id, report_id) is None:
                return None
            return ReportMeta(
                report.id, report.org_id, report.visibility, report.workplace_org_id, report.status
            )

    async def audit_entries(self, adviser_id: str, report_id: str) -> list[audit.Entry] | None:
        """The report's audit entries, for those it is sealed to (and only them)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id)
            if report is None or await _sealed(session, adviser_id, report_id) is None:
                return None
            entries = list(await audit.for_report(session, report_id))
            await self._audit(session, adviser_id, report, "audit_view", now=now)
        return entries

    # --- acting -------------------------------------------------------------------------

    async def write(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        text: str,
        *,
        internal: bool,
    ) -> Refused | None:
        """A message to the student, or an internal note (never shown to the student)."""
        text = text.strip()
        if not text:
            return Refused("empty")
        if len(text) > TEXT_MAX:
            return Refused("too_long")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await _access(session, adviser_id, private, report_id, lock=True)
            if found is None:
                return Refused("not_found")
            report = found.report
            if not internal and report.status not in OPEN:
                return Refused("closed")
            message_id = thread.new_id()
            session.add(
                Message(
                    id=message_id,
                    report_id=report_id,
                    author_kind="adviser",
                    author_id=adviser_id,
                    internal=internal,
                    scheme="key",
                    ciphertext=thread.seal_adviser_text(
                        found.data_key, report_id, message_id, text
                    ),
                    created_at=now,
                )
            )
            if not internal:
                await _acknowledge(session, report, now)
                if report.first_feedback_at is None:
                    report.first_feedback_at = now
                    await mark_met(session, report_id, "feedback", now)
                report.updated_at = now
                await self._nudge(session, report_id, found.data_key, now)
            action = "note" if internal else "message"
            await self._audit(session, adviser_id, report, action, "", now)
        return None

    async def set_status(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        status: str,
        outcome: str | None = None,
    ) -> Refused | None:
        """received → in_progress → waiting → closed (with an outcome code)."""
        if status not in SETTABLE:
            return Refused("bad_status")
        if status == "closed" and outcome not in OUTCOMES:
            return Refused("outcome_needed")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await _for_change(session, adviser_id, private, report_id)
            if isinstance(found, Refused):
                return found
            report = found.report
            if report.status == status:
                return Refused("same_status")
            report.status, report.updated_at = status, now
            session.add(thread.event_message(report_id, f"status_{status}", now, adviser_id))
            await _acknowledge(session, report, now)
            await self._nudge(session, report_id, found.data_key, now)
            detail = status
            if status == "closed":
                report.closed_at, report.outcome = now, outcome
                detail = f"closed:{outcome}"
                await forget_push_target(session, report_id)
            await self._audit(session, adviser_id, report, "status", detail, now)
        return None

    async def hand_over_colleague(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        colleague: Recipient,
        channels: Sequence[str] = (),
    ) -> Refused | None:
        """Seal the data key to a colleague too (the organization keeps it)."""
        if colleague.adviser_id == adviser_id:
            return Refused("self")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await _for_change(session, adviser_id, private, report_id)
            if isinstance(found, Refused):
                return found
            report = found.report
            await _seal_to(session, report_id, found.data_key, (colleague,))
            session.add(thread.event_message(report_id, "handover_colleague", now, adviser_id))
            targets = [(colleague.adviser_id, c) for c in channels]
            session.add_all(notification_rows(report_id, targets, "handed_over", now))
            report.updated_at = now
            await self._nudge(session, report_id, found.data_key, now)
            detail = colleague.adviser_id
            await self._audit(session, adviser_id, report, "handover_colleague", detail, now)
        return None

    async def hand_over_org(
        self,
        adviser_id: str,
        private: X25519PrivateKey,
        report_id: str,
        org_id: str,
        recipients: Sequence[Recipient],
        notify: Sequence[tuple[str, str]] = (),
    ) -> Refused | None:
        """Re-seal the data key to another organization's advisers and take it away from
        every adviser of the handing adviser's organization: after this, they cannot
        open it any more (the recovery copy stays). Whether the student's choice allows
        the hand-over is the caller's policy."""
        if not recipients:
            return Refused("no_recipients")
        now = self.clock()
        async with self.sessions() as session, session.begin():
            found = await _for_change(session, adviser_id, private, report_id)
            if isinstance(found, Refused):
                return found
            report = found.report
            from_org = await session.scalar(
                select(AdviserKey.org_id).where(AdviserKey.adviser_id == adviser_id)
            )
            if from_org is None or from_org == org_id:
                return Refused("same_org")
            await _seal_to(session, report_id, found.data_key, recipients)
            leaving = select(AdviserKey.adviser_id).where(AdviserKey.org_id == from_org)
            await session.execute(
                delete(SealedKey).where(
                    SealedKey.report_id == report_id,
                    SealedKey.recipient_kind == ADVISER,
                    SealedKey.recipient_id.in_(leaving),
                )
            )
            if report.org_id == from_org:
                report.org_id = org_id
            report.updated_at = now
            session.add(thread.event_message(report_id, "handover_org", now, adviser_id))
            session.add_all(notification_rows(report_id, notify, "handed_over", now))
            await self._nudge(session, report_id, found.data_key, now)
            await self._audit(session, adviser_id, report, "handover_org", org_id, now, from_org)
        return None

    async def record_download(self, adviser_id: str, report_id: str, what: str) -> None:
        """For a download made from an already opened view (the PDF)."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id)
            if report is not None:
                await self._audit(session, adviser_id, report, "download", what, now)

    # --- coordinators (metadata only) ----------------------------------------------------

    async def overview(self, org_ids: Sequence[str] | None) -> list[CaseSummary]:
        """Deadlines of the organizations' reports (all when None); nothing decrypted."""
        async with self.sessions() as session:
            query = select(Report).where(Report.erased_at.is_(None))
            if org_ids is not None:
                query = query.where(Report.org_id.in_(list(org_ids)))
            reports = (await session.scalars(query.order_by(Report.created_at.desc()))).all()
            deadlines = await _deadlines(session, [r.id for r in reports])
        return [_summary(r, deadlines.get(r.id, ())) for r in reports]

    async def failed_notices(self, adviser_ids: Sequence[str]) -> list[FailedNotice]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(Notification, Report.reference)
                .join(Report, Report.id == Notification.report_id)
                .where(Notification.state == "failed", Notification.adviser_id.in_(adviser_ids))
                .order_by(Notification.created_at.desc())
            )
            return [
                FailedNotice(
                    n.id,
                    n.kind,
                    n.adviser_id,
                    ref,
                    n.channel,
                    n.attempts,
                    n.last_error,
                    n.created_at,
                )
                for n, ref in rows
            ]

    async def log(self, adviser_id: str, action: str, org_id: str | None = None) -> None:
        """An audit entry that names no report (the list, the overview)."""
        async with self.sessions() as session, session.begin():
            await audit.append(
                session,
                self.server,
                at=self.clock(),
                actor=adviser_id,
                action=action,
                org_id=org_id,
            )

    # --- helpers ------------------------------------------------------------------------

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

    async def _nudge(
        self, session: AsyncSession, report_id: str, data_key: bytes, now: datetime
    ) -> None:
        """Tell a student who asked for it that there is news (content-free)."""
        blob = await session.scalar(
            select(ReportField.ciphertext).where(
                ReportField.report_id == report_id, ReportField.field == PUSH_TARGET_FIELD
            )
        )
        if blob is None:
            return
        target = crypto.decrypt_field(data_key, blob, report_id=report_id, field=PUSH_TARGET_FIELD)
        queue_nudge(session, self.server, target.decode(), now)


def _summary(r: Report, deadlines: Sequence[DeadlineView], unread: int = 0) -> CaseSummary:
    return CaseSummary(
        id=r.id,
        reference=r.reference,
        org_id=r.org_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        phase=r.phase,
        grounds=tuple(g for g in r.grounds.split(",") if g),
        status=r.status,
        urgent=r.urgent,
        outcome=r.outcome,
        deadlines=tuple(deadlines),
        unread=unread,
    )


async def _deadlines(session: AsyncSession, ids: list[str]) -> dict[str, list[DeadlineView]]:
    out: dict[str, list[DeadlineView]] = {}
    if not ids:
        return out
    rows = await session.scalars(
        select(Deadline).where(Deadline.report_id.in_(ids)).order_by(Deadline.due_at)
    )
    for d in rows:
        out.setdefault(d.report_id, []).append(DeadlineView(d.kind, d.due_at, d.met_at, d.level))
    return out


async def _unread(session: AsyncSession, adviser_id: str, ids: list[str]) -> dict[str, int]:
    """Student messages newer than the adviser's read mark (all of them without one)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Message.report_id, func.count())
        .outerjoin(
            ReadMark,
            and_(ReadMark.report_id == Message.report_id, ReadMark.adviser_id == adviser_id),
        )
        .where(
            Message.report_id.in_(ids),
            Message.author_kind == "student",
            or_(ReadMark.read_at.is_(None), Message.created_at > ReadMark.read_at),
        )
        .group_by(Message.report_id)
    )
    return {report_id: int(count) for report_id, count in rows.tuples()}


async def _view(session: AsyncSession, report: Report, key: bytes) -> CaseView:
    rid = report.id
    fields = await session.scalars(
        select(ReportField).where(
            ReportField.report_id == rid, ReportField.field.not_in(HIDDEN_FIELDS)
        )
    )
    content = {
        f.field: crypto.decrypt_field(key, f.ciphertext, report_id=rid, field=f.field).decode()
        for f in fields
    }
    report_private = await report_private_key(session, rid, key)
    messages = await session.scalars(
        select(Message).where(Message.report_id == rid).order_by(Message.created_at, Message.id)
    )
    entries = tuple(
        ThreadEntry(
            m.id,
            m.created_at,
            m.author_kind,
            m.author_id,
            m.internal,
            m.event,
            thread.open_text(m, key, report_private),
        )
        for m in messages
    )
    attachments = await _attachments(session, rid, report_private)
    readers = await session.scalars(
        select(SealedKey.recipient_id).where(
            SealedKey.report_id == rid, SealedKey.recipient_kind == ADVISER
        )
    )
    deadlines = await _deadlines(session, [rid])
    return CaseView(
        summary=_summary(report, deadlines.get(rid, ())),
        fields=content,
        thread=entries,
        attachments=attachments,
        visibility=report.visibility,
        wants=report.wants,
        when_bucket=report.when_bucket,
        level=report.level,
        workplace_org_id=report.workplace_org_id,
        acknowledged_at=report.acknowledged_at,
        first_feedback_at=report.first_feedback_at,
        closed_at=report.closed_at,
        withdrawn_at=report.withdrawn_at,
        readers=tuple(sorted(readers)),
    )


async def _attachments(
    session: AsyncSession, report_id: str, report_private: X25519PrivateKey | None
) -> tuple[AttachmentView, ...]:
    if report_private is None:
        return ()
    rows = await session.scalars(
        select(Attachment).where(Attachment.report_id == report_id).order_by(Attachment.created_at)
    )
    out = []
    for row in rows:
        file = thread.open_file(row.sealed, report_private, report_id, row.id)
        out.append(
            AttachmentView(
                row.id, row.message_id, row.created_at, file.name, file.media_type, len(file.data)
            )
        )
    return tuple(out)


async def _mark_read(session: AsyncSession, adviser_id: str, report_id: str, now: datetime) -> None:
    insert = _upsert(session)
    statement = insert(ReadMark).values(report_id=report_id, adviser_id=adviser_id, read_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ReadMark.report_id, ReadMark.adviser_id], set_={"read_at": now}
        )
    )


async def _acknowledge(session: AsyncSession, report: Report, now: datetime) -> None:
    if report.acknowledged_at is None:
        report.acknowledged_at = now
        await mark_met(session, report.id, "acknowledge", now)


async def _seal_to(
    session: AsyncSession, report_id: str, data_key: bytes, recipients: Sequence[Recipient]
) -> None:
    have = set(
        await session.scalars(
            select(SealedKey.recipient_id).where(
                SealedKey.report_id == report_id, SealedKey.recipient_kind == ADVISER
            )
        )
    )
    for r in recipients:
        if r.adviser_id not in have:
            session.add(
                SealedKey(
                    report_id=report_id,
                    recipient_kind=ADVISER,
                    recipient_id=r.adviser_id,
                    sealed=crypto.seal_key(data_key, r.public_key, report_id=report_id),
                )
            )
