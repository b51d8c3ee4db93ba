"""The student's side of a filed report: read the thread, answer, send a file, withdraw.

Reading needs the receipt (it unwraps the data key). Answering does not: what the
student sends is HPKE-sealed to the report's public key. For the rest of a visit the
student reads again without the receipt (`view_opened`): the data key it unwrapped
travels in a token sealed under the process's ephemeral key, which no disk holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import aead, proofs, thread
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import report_public_key, report_recipients
from storage.crypto.server_key import ServerKey
from storage.db.clock import Clock, student_time, utcnow
from storage.db.models import Attachment, Deadline, Message, PatternMember, ReadMark, Report
from storage.repositories import audit
from storage.repositories.deadlines import expect_answer
from storage.repositories.evaluations import evaluation_due
from storage.repositories.outbox import notification_rows
from storage.repositories.patterns import allow_share
from storage.repositories.reports import ReportStore, forget_push_target, report_private_key
from vocabulary import OPEN_STATUSES, ReportStatus, ThreadEvent

THREAD_LIMIT = 200
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StudentThreadItem:
    """One entry of the thread as the student sees it: no internal notes, no ids."""

    author: str  # adviser | student | event
    text: str  # what was written; "" for events
    event: str  # the event's code; "" for messages
    at: datetime
    file: str = ""  # the name of the file sent with this message, "" for none


@dataclass(frozen=True)
class StudentView:
    report_id: str
    reference: str
    status: str
    changed_at: datetime
    thread: tuple[StudentThreadItem, ...]
    evaluation_due: bool = False  # closed, and the evaluation question not answered yet
    # Part of a company pattern, and whom the student may still let their adviser share
    # the report with (network, and sbb for an mbo report).
    pattern: bool = False
    may_share: tuple[str, ...] = ()
    # the earliest deadline not yet met: when the student can expect to hear (None: none)
    next_due: datetime | None = None
    # the report's data key, for the visit's token (sealed in memory); never logged
    data_key: bytes = field(default=b"", repr=False)


# When an answer to a student's message is due, from the time it is stored (the service
# counts working days: `escalation.casework.deadlines`); None: no reply deadline.
ReplyDue = Callable[[datetime], datetime]


class StudentSide:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reports: ReportStore,
        clock: Clock = utcnow,
        *,
        reply_due: ReplyDue | None = None,
    ) -> None:
        self.sessions = sessions
        self.reports = reports
        self.clock = clock
        self.reply_due = reply_due

    async def view(self, receipt: str) -> StudentView | None:
        """Status and the thread without internal notes; None if the receipt opens nothing."""
        async with self.sessions() as session:
            found = await self.reports.by_receipt(session, receipt)
            if found is None:
                return None
            report, data_key = found
            return await _view(session, self.reports.keys.server, report, data_key)

    async def view_opened(self, report_id: str, data_key: bytes) -> StudentView | None:
        """The same view for a report this visit already opened with its receipt (the
        data key came back from the visit's token); None when it is gone or erased, or
        the key does not open it."""
        async with self.sessions() as session:
            report = await session.get(Report, report_id)
            if report is None or report.receipt_wrapped_key is None:
                return None
            try:
                return await _view(session, self.reports.keys.server, report, data_key)
            except aead.CryptoError:
                return None

    async def allow_share(self, report_id: str, target: str) -> bool:
        """The student (holding a reply token from /status) lets their adviser share the
        report itself with `target` (network | sbb); audit-logged. False when it is in no
        pattern, or has ended."""
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status not in OPEN_STATUSES:
                return False
            now = await _student_now(session, report, self.clock())
            return await allow_share(session, self.reports.keys.server, report, target, now)

    async def recipients(self, report_id: str) -> tuple[str, ...]:
        """The advisers a report is sealed to: the ones to tell about an answer."""
        async with self.sessions() as session:
            return await report_recipients(session, report_id)

    async def answer(
        self, report_id: str, text: str, notify: tuple[tuple[str, str], ...] = ()
    ) -> bool:
        """Seals the student's message for the report's readers; False once it is closed.

        Raises `KeyNotAuthentic` (and seals nothing) when the report's stored public key
        fails its MAC: swapped in the database by someone without keys.dir."""
        return await self._add(report_id, text, None, notify)

    async def send_file(
        self,
        report_id: str,
        name: str,
        kind: str,
        data: bytes,
        notify: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        return await self._add(report_id, "", thread.FileContent(name, kind, data), notify)

    async def _add(
        self,
        report_id: str,
        text: str,
        file: thread.FileContent | None,
        notify: tuple[tuple[str, str], ...],
    ) -> bool:
        message_id = thread.new_id()
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status not in OPEN_STATUSES or report.public_key is None:
                return False
            now = await _student_now(session, report, self.clock())
            seal = report_public_key(self.reports.keys.server, report)
            server = self.reports.keys.server
            row = thread.student_message(seal, report_id, message_id, text, now)
            session.add(proofs.prove_message(server, row))
            await session.flush()
            if file is not None:
                attachment = _attachment(report_id, message_id, file, seal, now)
                session.add(proofs.prove_attachment(server, attachment))
            if report.status == ReportStatus.WAITING:  # the adviser was waiting for this
                report.status = ReportStatus.IN_PROGRESS
            report.updated_at = now
            if self.reply_due is not None:  # the adviser's answer is due from now
                await expect_answer(session, report_id, self.reply_due(now))
            session.add_all(notification_rows(report_id, notify, "student_message", now))
            action = "student_file" if file is not None else "student_message"
            await self._audit(session, report, action, now)
        return True

    async def _audit(
        self, session: AsyncSession, report: Report, action: str, now: datetime
    ) -> None:
        await audit.append(
            session,
            self.reports.keys.server,
            at=now,
            actor="student",
            action=action,
            report_id=report.id,
            org_id=report.org_id,
        )

    async def withdraw(self, report_id: str) -> bool:
        """Withdrawn: advisers see it, the push address goes now, the rest with retention."""
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status not in OPEN_STATUSES:
                return False
            now = await _student_now(session, report, self.clock())
            report.status, report.withdrawn_at = ReportStatus.WITHDRAWN, now
            report.updated_at = now
            await forget_push_target(session, report_id)
            event = thread.event_message(report_id, ThreadEvent.WITHDRAWN, now)
            session.add(proofs.prove_message(self.reports.keys.server, event))
            await self._audit(session, report, "withdraw", now)
        return True


async def _view(
    session: AsyncSession, server: ServerKey, report: Report, data_key: bytes
) -> StudentView:
    thread = await _thread(session, server, report.id, data_key)
    due = await session.scalar(
        select(func.min(Deadline.due_at)).where(
            Deadline.report_id == report.id, Deadline.met_at.is_(None)
        )
    )
    member = await session.get(PatternMember, report.id)
    return StudentView(
        report.id,
        report.reference,
        report.status,
        report.updated_at,
        thread,
        evaluation_due=evaluation_due(report),
        pattern=member is not None,
        may_share=_may_share(report, member, server),
        next_due=due,
        data_key=data_key,
    )


def _may_share(report: Report, member: PatternMember | None, server: ServerKey) -> tuple[str, ...]:
    """Whom the student may still let their adviser share a report in a pattern with
    (a choice that fails its proof is a writer's, not theirs: offered again)."""
    if member is None:
        return ()
    proven = proofs.share_proven(server, member)
    allowed = set(member.share_allowed.split(",")) if proven else set()
    offer = ("network", "sbb") if report.level == "mbo" else ("network",)
    return tuple(t for t in offer if t not in allowed)


async def _student_now(session: AsyncSession, report: Report, now: datetime) -> datetime:
    """The time a student's act on this report is stored at: the hour, cut down, but
    after everything already stored on the report (`clock.student_time`)."""
    latest_message = await session.scalar(
        select(func.max(Message.created_at)).where(Message.report_id == report.id)
    )
    latest_read = await session.scalar(
        select(func.max(ReadMark.read_at)).where(ReadMark.report_id == report.id)
    )
    known = [t for t in (report.updated_at, latest_message, latest_read) if t is not None]
    return student_time(now, after=max(known, default=None))


def _attachment(
    report_id: str, message_id: str, file: thread.FileContent, public: bytes, now: datetime
) -> Attachment:
    attachment_id = thread.new_id()
    return Attachment(
        id=attachment_id,
        report_id=report_id,
        message_id=message_id,
        sealed=thread.seal_file(public, report_id, attachment_id, file),
        created_at=now,
    )


async def _thread(
    session: AsyncSession, server: ServerKey, report_id: str, data_key: bytes
) -> tuple[StudentThreadItem, ...]:
    rows = (
        await session.scalars(
            select(Message)
            .where(Message.report_id == report_id, Message.internal.is_(False))
            .order_by(Message.created_at.desc(), Message.id)
            .limit(THREAD_LIMIT)
        )
    ).all()
    private = await report_private_key(session, report_id, data_key)
    files = await _file_names(session, server, report_id, private)
    # Without the service's proof an entry is a database writer's: never shown to the
    # student as what was said (the console marks it "possibly altered").
    proven = [row for row in reversed(rows) if _proven(server, row)]
    items = (_entry(row, data_key, private, files.get(row.id)) for row in proven)
    return tuple(item for item in items if item is not None)


async def _file_names(
    session: AsyncSession, server: ServerKey, report_id: str, private: X25519PrivateKey | None
) -> dict[str, str]:
    """message id -> the name of the file sent with it, for the student's own thread."""
    if private is None:
        return {}
    names: dict[str, str] = {}
    for row in await session.scalars(select(Attachment).where(Attachment.report_id == report_id)):
        if row.message_id is not None and proofs.attachment_proven(server, row):
            names[row.message_id] = thread.open_file(row.sealed, private, report_id, row.id).name
    return names


def _proven(server: ServerKey, row: Message) -> bool:
    if proofs.message_proven(server, row):
        return True
    log.error("ThreadTampered: a thread entry lacks the service's proof; left out")
    return False


def _entry(
    row: Message, data_key: bytes, private: X25519PrivateKey | None, file_name: str | None
) -> StudentThreadItem | None:
    if row.scheme == "none" or row.ciphertext is None:
        return StudentThreadItem("event", "", row.event or "", row.created_at)
    try:
        text = thread.open_text(row, data_key, private)
    except thread.ThreadTampered:
        # Its flags were changed in the database (an internal note made visible, an
        # author swapped): never shown. The console flags it to the advisers.
        log.error("ThreadTampered: a thread entry fails to open with its flags; left out")
        return None
    if text is None:
        raise aead.CryptoError("a student message on a report without its own key")
    # a file: its name is what the student recognises (worded by the locale files)
    return StudentThreadItem(row.author_kind, text, "", row.created_at, file_name or "")
