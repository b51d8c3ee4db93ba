"""Filing reports sealed, and opening them for those who hold a key.

`file` does everything in one transaction — report row, encrypted fields, sealed keys,
the advisers' notification rows — and commits before it returns, because the caller
tells the student "filed" right after.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import crypto
from storage.clock import Clock, aware, utcnow
from storage.keys import KeyStore
from storage.models import Notification, Report, ReportField, SealedKey

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
RECOVERY = "recovery"


@dataclass(frozen=True)
class Recipient:
    adviser_id: str
    public_key: bytes


@dataclass(frozen=True)
class NewReport:
    org_id: str | None
    phase: str
    grounds: tuple[str, ...]
    when_bucket: str
    wants: str
    visibility: str
    urgent: bool
    content: Mapping[str, str]
    recipients: tuple[Recipient, ...] = ()
    notify: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Filed:
    report_id: str
    reference: str
    receipt: str  # shown to the student once; never stored


@dataclass(frozen=True)
class StatusView:
    reference: str
    status: str
    changed_at: datetime


def new_reference() -> str:
    chars = [secrets.choice(REFERENCE_ALPHABET) for _ in range(8)]
    return f"SM-{''.join(chars[:4])}-{''.join(chars[4:])}"


class ReportStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], keys: KeyStore, clock: Clock = utcnow
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock

    async def _receipt_keys(self, code: str) -> crypto.ReceiptKeys:
        return await asyncio.to_thread(
            crypto.derive_receipt_keys, code, self.keys.receipt_salt, self.keys.kdf
        )

    async def file(self, new: NewReport) -> Filed:
        while True:  # a lookup or reference collision (~never) just draws again
            receipt = crypto.generate_receipt()
            derived = await self._receipt_keys(receipt)
            try:
                return await self._insert(new, receipt, derived)
            except IntegrityError:
                continue

    async def _insert(self, new: NewReport, receipt: str, derived: crypto.ReceiptKeys) -> Filed:
        report_id = uuid.uuid4().hex
        data_key = crypto.new_data_key()
        now = self.clock()
        report = Report(
            id=report_id,
            reference=new_reference(),
            org_id=new.org_id,
            phase=new.phase,
            grounds=",".join(sorted(new.grounds)),
            when_bucket=new.when_bucket,
            wants=new.wants,
            visibility=new.visibility,
            urgent=new.urgent,
            status="received",
            created_at=now,
            updated_at=now,
            receipt_lookup=derived.lookup,
            receipt_wrapped_key=crypto.wrap_data_key(
                data_key, derived.wrap_key, report_id=report_id
            ),
        )
        async with self.sessions() as session, session.begin():
            session.add(report)
            await session.flush()
            session.add_all(_fields(data_key, report_id, new.content))
            session.add_all(_sealed(data_key, report_id, new.recipients, self.keys.recovery_public))
            session.add_all(_notifications(report_id, new.notify, now))
        return Filed(report_id, report.reference, receipt)

    async def _by_receipt(self, session: AsyncSession, code: str) -> tuple[Report, bytes] | None:
        derived = await self._receipt_keys(code)
        report = await session.scalar(select(Report).where(Report.receipt_lookup == derived.lookup))
        if report is None:
            return None
        try:
            key = crypto.unwrap_data_key(
                report.receipt_wrapped_key, derived.wrap_key, report_id=report.id
            )
        except crypto.CryptoError:
            return None
        return report, key

    async def status(self, receipt: str) -> StatusView | None:
        async with self.sessions() as session:
            found = await self._by_receipt(session, receipt)
        if found is None:
            return None
        report, _ = found
        return StatusView(report.reference, report.status, aware(report.updated_at))

    async def read_with_receipt(self, receipt: str) -> dict[str, str] | None:
        async with self.sessions() as session:
            found = await self._by_receipt(session, receipt)
            if found is None:
                return None
            report, key = found
            return await _decrypt_all(session, report.id, key)

    async def read_as_adviser(
        self, report_id: str, adviser_id: str, private_key: X25519PrivateKey
    ) -> dict[str, str] | None:
        return await self._read_sealed(report_id, "adviser", adviser_id, private_key)

    async def read_with_recovery(
        self, report_id: str, recovery_private: X25519PrivateKey
    ) -> dict[str, str] | None:
        return await self._read_sealed(report_id, RECOVERY, RECOVERY, recovery_private)

    async def _read_sealed(
        self, report_id: str, kind: str, recipient: str, private_key: X25519PrivateKey
    ) -> dict[str, str] | None:
        async with self.sessions() as session:
            sealed = await session.scalar(
                select(SealedKey.sealed).where(
                    SealedKey.report_id == report_id,
                    SealedKey.recipient_kind == kind,
                    SealedKey.recipient_id == recipient,
                )
            )
            if sealed is None:
                return None
            try:
                key = crypto.open_key(sealed, private_key, report_id=report_id)
            except crypto.CryptoError:
                return None
            return await _decrypt_all(session, report_id, key)


def _fields(key: bytes, report_id: str, content: Mapping[str, str]) -> list[ReportField]:
    return [
        ReportField(
            report_id=report_id,
            field=name,
            ciphertext=crypto.encrypt_field(key, value.encode(), report_id=report_id, field=name),
        )
        for name, value in content.items()
    ]


def _sealed(
    key: bytes, report_id: str, recipients: tuple[Recipient, ...], recovery_public: bytes
) -> list[SealedKey]:
    rows = [
        SealedKey(
            report_id=report_id,
            recipient_kind="adviser",
            recipient_id=r.adviser_id,
            sealed=crypto.seal_key(key, r.public_key, report_id=report_id),
        )
        for r in recipients
    ]
    rows.append(
        SealedKey(
            report_id=report_id,
            recipient_kind=RECOVERY,
            recipient_id=RECOVERY,
            sealed=crypto.seal_key(key, recovery_public, report_id=report_id),
        )
    )
    return rows


def _notifications(
    report_id: str, notify: tuple[tuple[str, str], ...], now: datetime
) -> list[Notification]:
    return [
        Notification(
            adviser_id=adviser_id,
            report_id=report_id,
            channel=channel,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for adviser_id, channel in notify
    ]


async def _decrypt_all(session: AsyncSession, report_id: str, key: bytes) -> dict[str, str]:
    rows = await session.scalars(select(ReportField).where(ReportField.report_id == report_id))
    return {
        row.field: crypto.decrypt_field(
            key, row.ciphertext, report_id=report_id, field=row.field
        ).decode()
        for row in rows
    }
