"""The student's side of a filed report: read the thread, answer, send a file, withdraw.

Reading needs the receipt (it unwraps the data key). Answering does not: what the
student sends is HPKE-sealed to the report's public key, so between turns the server
holds no key that reads anything — only the report's id, in the student's encrypted
conversation state, for as long as the student is answering.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, crypto
from storage.clock import Clock, utcnow
from storage.models import Attachment, Message, Notification, Report, ReportField
from storage.reports import ReportStore, report_private_key, report_recipients

OPEN = ("received", "in_progress", "waiting")
PUSH_FIELD = "push_target"
THREAD_LIMIT = 200


@dataclass(frozen=True)
class Entry:
    author: str  # adviser | student | event
    text: str  # what was written; "" for events
    event: str  # the event's code; "" for messages
    at: datetime


@dataclass(frozen=True)
class StudentView:
    report_id: str
    reference: str
    status: str
    changed_at: datetime
    thread: tuple[Entry, ...]


class StudentSide:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reports: ReportStore,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.reports = reports
        self.clock = clock

    async def view(self, receipt: str) -> StudentView | None:
        """Status and the thread without internal notes; None if the receipt opens nothing."""
        async with self.sessions() as session:
            found = await self.reports.by_receipt(session, receipt)
            if found is None:
                return None
            report, data_key = found
            thread = await _thread(session, report.id, data_key)
        return StudentView(report.id, report.reference, report.status, report.updated_at, thread)

    async def recipients(self, report_id: str) -> tuple[str, ...]:
        """The advisers a report is sealed to: the ones to tell about an answer."""
        async with self.sessions() as session:
            return await report_recipients(session, report_id)

    async def answer(
        self, report_id: str, text: str, notify: tuple[tuple[str, str], ...] = ()
    ) -> bool:
        """Seals the student's message for the report's readers; False once it is closed."""
        return await self._add(report_id, text.encode(), None, notify)

    async def send_file(
        self,
        report_id: str,
        name: str,
        kind: str,
        data: bytes,
        notify: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        header = json.dumps({"name": name, "kind": kind}).encode()
        return await self._add(report_id, b"", (header, data), notify)

    async def _add(
        self,
        report_id: str,
        text: bytes,
        file: tuple[bytes, bytes] | None,
        notify: tuple[tuple[str, str], ...],
    ) -> bool:
        now = self.clock()
        message_id = uuid.uuid4().hex
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status not in OPEN or report.public_key is None:
                return False
            seal = report.public_key
            session.add(_student_message(report_id, message_id, text, seal, now))
            await session.flush()
            if file is not None:
                session.add(_attachment(report_id, message_id, file, seal, now))
            if report.status == "waiting":  # the adviser was waiting for this
                report.status = "in_progress"
            report.updated_at = now
            session.add_all(_notices(report_id, notify, now))
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
        now = self.clock()
        async with self.sessions() as session, session.begin():
            report = await session.get(Report, report_id, with_for_update=True)
            if report is None or report.status not in OPEN:
                return False
            report.status, report.withdrawn_at, report.updated_at = "withdrawn", now, now
            await session.execute(
                delete(ReportField).where(
                    ReportField.report_id == report_id, ReportField.field == PUSH_FIELD
                )
            )
            session.add(_event(report_id, "withdrawn", now))
            await self._audit(session, report, "withdraw", now)
        return True


def _student_message(
    report_id: str, message_id: str, text: bytes, public: bytes, now: datetime
) -> Message:
    return Message(
        id=message_id,
        report_id=report_id,
        author_kind="student",
        author_id=None,
        internal=False,
        event=None,
        scheme="hpke",
        ciphertext=crypto.seal_payload(text, public, report_id=report_id, purpose=message_id),
        created_at=now,
    )


def _attachment(
    report_id: str, message_id: str, file: tuple[bytes, bytes], public: bytes, now: datetime
) -> Attachment:
    header, data = file
    attachment_id = uuid.uuid4().hex
    blob = len(header).to_bytes(4, "big") + header + data
    return Attachment(
        id=attachment_id,
        report_id=report_id,
        message_id=message_id,
        sealed=crypto.seal_payload(blob, public, report_id=report_id, purpose=attachment_id),
        created_at=now,
    )


def _event(report_id: str, code: str, now: datetime) -> Message:
    return Message(
        id=uuid.uuid4().hex,
        report_id=report_id,
        author_kind="event",
        author_id=None,
        internal=False,
        event=code,
        scheme="none",
        ciphertext=None,
        created_at=now,
    )


def _notices(
    report_id: str, notify: tuple[tuple[str, str], ...], now: datetime
) -> list[Notification]:
    return [
        Notification(
            kind="student_message",
            adviser_id=adviser_id,
            report_id=report_id,
            channel=channel,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for adviser_id, channel in dict.fromkeys(notify)
    ]


async def _thread(session: AsyncSession, report_id: str, data_key: bytes) -> tuple[Entry, ...]:
    rows = (
        await session.scalars(
            select(Message)
            .where(Message.report_id == report_id, Message.internal.is_(False))
            .order_by(Message.created_at.desc(), Message.id)
            .limit(THREAD_LIMIT)
        )
    ).all()
    private = await report_private_key(session, report_id, data_key)
    files = await _file_names(session, report_id, private)
    return tuple(
        _entry(row, report_id, data_key, private, files.get(row.id)) for row in reversed(rows)
    )


async def _file_names(
    session: AsyncSession, report_id: str, private: X25519PrivateKey | None
) -> dict[str, str]:
    """message id -> the name of the file sent with it, for the student's own thread."""
    if private is None:
        return {}
    names: dict[str, str] = {}
    for row in await session.scalars(select(Attachment).where(Attachment.report_id == report_id)):
        if row.message_id is not None:
            names[row.message_id] = open_file(row, private)[0]["name"]
    return names


def open_file(row: Attachment, private: X25519PrivateKey) -> tuple[dict[str, str], bytes]:
    """(header with name and kind, the bytes) of a file the student sent."""
    blob = crypto.open_payload(row.sealed, private, report_id=row.report_id, purpose=row.id)
    size = int.from_bytes(blob[:4], "big")
    header = json.loads(blob[4 : 4 + size])
    return {"name": str(header["name"]), "kind": str(header["kind"])}, blob[4 + size :]


def _entry(
    row: Message,
    report_id: str,
    data_key: bytes,
    private: X25519PrivateKey | None,
    file_name: str | None,
) -> Entry:
    if row.scheme == "none" or row.ciphertext is None:
        return Entry("event", "", row.event or "", row.created_at)
    if row.scheme == "hpke":
        if private is None:
            raise crypto.CryptoError("a student message on a report without its own key")
        raw = crypto.open_payload(row.ciphertext, private, report_id=report_id, purpose=row.id)
    else:
        raw = crypto.decrypt_field(
            data_key, row.ciphertext, report_id=report_id, field=message_field(row.id)
        )
    text = raw.decode()
    if file_name is not None:  # a file: its name is what the student recognises
        text = f"📎 {file_name}" + (f"\n{text}" if text else "")
    return Entry(row.author_kind, text, "", row.created_at)


def message_field(message_id: str) -> str:
    """The AAD field name of an adviser's message: binds it to its own row."""
    return f"message/{message_id}"
