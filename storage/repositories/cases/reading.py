"""What an adviser reads: their list, a whole report, a file, its audit entries; and,
for coordinators, the deadline overview and failed notices (metadata only).

Reading is logged too: opening a report, downloading a file or its PDF, viewing its
audit entries and the list each write an audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import proofs, sealed_content, thread
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import ADVISER, is_sealed_to, orphan_counts, report_recipients
from storage.crypto.server_key import ServerKey
from storage.db.models import (
    Attachment,
    Deadline,
    Message,
    Notification,
    ReadMark,
    Report,
    ReportField,
    SealedKey,
)
from storage.db.upsert import upsert
from storage.repositories import audit
from storage.repositories.cases.access import CaseStore, access
from storage.repositories.cases.views import (
    AttachmentView,
    CaseSummary,
    CaseThreadItem,
    CaseView,
    DeadlineView,
    FailedNotice,
    ReportMeta,
)
from storage.repositories.reports import PUSH_TARGET_FIELD, REPORT_KEY_FIELD, report_private_key

HIDDEN_FIELDS = (REPORT_KEY_FIELD, PUSH_TARGET_FIELD)


class CaseReading:
    """`cases.reading`: the list, a report, a file, audit entries; the coordinators'
    overview."""

    def __init__(self, store: CaseStore) -> None:
        self.store = store

    async def list_for(self, adviser_id: str) -> list[CaseSummary]:
        """Every report sealed to this adviser: metadata only, nothing decrypted."""
        async with self.store.sessions() as session:
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
        now = self.store.clock()
        async with self.store.sessions() as session, session.begin():
            found = await access(session, adviser_id, private, report_id)
            if found is None:
                return None
            report, key = found.report, found.data_key
            view = await _view(session, self.store.server, report, key)
            if action == "view":
                await _mark_read(session, adviser_id, report_id, now)
            await self.store.write_audit(session, adviser_id, report, action, now=now)
        return view

    async def attachment(
        self, adviser_id: str, private: X25519PrivateKey, report_id: str, attachment_id: str
    ) -> thread.FileContent | None:
        now = self.store.clock()
        async with self.store.sessions() as session, session.begin():
            found = await access(session, adviser_id, private, report_id)
            row = await session.get(Attachment, attachment_id)
            if found is None or row is None or row.report_id != report_id:
                return None
            # Downloads are logged either way; an unproven file is marked in the list and
            # in the detail of its audit entry.
            report_private = await report_private_key(session, report_id, found.data_key)
            if report_private is None:
                return None
            file = thread.open_file(row.sealed, report_private, report_id, attachment_id)
            detail = attachment_id
            if not proofs.attachment_proven(self.store.server, row):
                detail += ":unproven"
            await self.store.write_audit(session, adviser_id, found.report, "download", detail, now)
        return file

    async def meta(self, adviser_id: str, report_id: str) -> ReportMeta | None:
        """Plaintext columns of a report sealed to this adviser (None otherwise)."""
        async with self.store.sessions() as session:
            report = await session.get(Report, report_id)
            if report is None or not await is_sealed_to(session, report_id, adviser_id):
                return None
            return ReportMeta(
                report.id,
                report.org_id,
                report.visibility,
                report.workplace_org_id,
                report.status,
                report.handed_from_org_id,
            )

    async def audit_entries(
        self, adviser_id: str, report_id: str
    ) -> list[audit.AuditRecord] | None:
        """The report's audit entries, for those it is sealed to (and only them)."""
        now = self.store.clock()
        async with self.store.sessions() as session, session.begin():
            report = await session.get(Report, report_id)
            if report is None or not await is_sealed_to(session, report_id, adviser_id):
                return None
            entries = list(await audit.for_report(session, report_id))
            await self.store.write_audit(session, adviser_id, report, "audit_view", now=now)
        return entries

    # --- coordinators (metadata only) ----------------------------------------------------

    async def overview(self, org_ids: Sequence[str] | None) -> list[CaseSummary]:
        """Deadlines of the organizations' reports (all when None); nothing decrypted."""
        async with self.store.sessions() as session:
            query = select(Report).where(Report.erased_at.is_(None))
            if org_ids is not None:
                query = query.where(Report.org_id.in_(list(org_ids)))
            reports = (await session.scalars(query.order_by(Report.created_at.desc()))).all()
            deadlines = await _deadlines(session, [r.id for r in reports])
        return [_summary(r, deadlines.get(r.id, ())) for r in reports]

    async def orphans(self, org_ids: Sequence[str] | None) -> dict[str | None, int]:
        """Reports no enrolled adviser can open, per organization (all when None)."""
        async with self.store.sessions() as session:
            return await orphan_counts(session, org_ids)

    async def failed_notices(self, adviser_ids: Sequence[str]) -> list[FailedNotice]:
        async with self.store.sessions() as session:
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

    async def audit_head(self) -> audit.AnchorCheck:
        """The audit chain's head compared with the one anchored in keys.dir, for the
        coordinators' page: a cut or rewritten tail is shown there, and the head itself
        so a coordinator can write it down or mail it."""
        async with self.store.sessions() as session:
            return await audit.check_anchor(session, self.store.server)

    async def log(
        self, adviser_id: str, action: str, org_id: str | None = None, detail: str = ""
    ) -> None:
        """An audit entry that names no report (the list, the overview, the figures)."""
        async with self.store.sessions() as session, session.begin():
            await audit.append(
                session,
                self.store.server,
                at=self.store.clock(),
                actor=adviser_id,
                action=action,
                org_id=org_id,
                detail=detail,
            )


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


async def _view(session: AsyncSession, server: ServerKey, report: Report, key: bytes) -> CaseView:
    rid = report.id
    report_private = await report_private_key(session, rid, key)
    deadlines = await _deadlines(session, [rid])
    return CaseView(
        summary=_summary(report, deadlines.get(rid, ())),
        fields=await _content(session, rid, key),
        thread=await _thread(session, server, rid, key, report_private),
        attachments=await _attachments(session, server, rid, report_private),
        visibility=report.visibility,
        wants=report.wants,
        when_bucket=report.when_bucket,
        level=report.level,
        workplace_org_id=report.workplace_org_id,
        acknowledged_at=report.acknowledged_at,
        first_feedback_at=report.first_feedback_at,
        closed_at=report.closed_at,
        withdrawn_at=report.withdrawn_at,
        readers=tuple(sorted(await report_recipients(session, rid))),
        filed_org_id=report.filed_org_id,
        handed_from_org_id=report.handed_from_org_id,
    )


async def _content(session: AsyncSession, report_id: str, key: bytes) -> dict[str, str]:
    """What the student said; the report's own key and the push address stay out."""
    fields = await session.scalars(
        select(ReportField).where(
            ReportField.report_id == report_id, ReportField.field.not_in(HIDDEN_FIELDS)
        )
    )
    return {
        f.field: sealed_content.decrypt_field(
            key, f.ciphertext, report_id=report_id, field=f.field
        ).decode()
        for f in fields
    }


async def _thread(
    session: AsyncSession,
    server: ServerKey,
    report_id: str,
    key: bytes,
    report_private: X25519PrivateKey | None,
) -> tuple[CaseThreadItem, ...]:
    messages = await session.scalars(
        select(Message)
        .where(Message.report_id == report_id)
        .order_by(Message.created_at, Message.id)
    )
    return tuple(_thread_item(server, m, key, report_private) for m in messages)


def _thread_item(
    server: ServerKey, m: Message, key: bytes, report_private: X25519PrivateKey | None
) -> CaseThreadItem:
    try:
        text = thread.open_text(m, key, report_private)
    except thread.ThreadTampered:
        return CaseThreadItem(
            m.id, m.created_at, m.author_kind, m.author_id, m.internal, m.event, None, True
        )
    altered = not proofs.message_proven(server, m)
    return CaseThreadItem(
        m.id, m.created_at, m.author_kind, m.author_id, m.internal, m.event, text, False, altered
    )


async def _attachments(
    session: AsyncSession,
    server: ServerKey,
    report_id: str,
    report_private: X25519PrivateKey | None,
) -> tuple[AttachmentView, ...]:
    if report_private is None:
        return ()
    rows = await session.scalars(
        select(Attachment).where(Attachment.report_id == report_id).order_by(Attachment.created_at)
    )
    out = []
    for row in rows:
        file = thread.open_file(row.sealed, report_private, report_id, row.id)
        size, altered = len(file.data), not proofs.attachment_proven(server, row)
        out.append(
            AttachmentView(
                row.id, row.message_id, row.created_at, file.name, file.media_type, size, altered
            )
        )
    return tuple(out)


async def _mark_read(session: AsyncSession, adviser_id: str, report_id: str, now: datetime) -> None:
    await upsert(
        session,
        ReadMark,
        {"report_id": report_id, "adviser_id": adviser_id, "read_at": now},
        key=("report_id", "adviser_id"),
    )
