"""Filing reports sealed, and opening them for those who hold a key.

`file` does everything in one transaction — report row, encrypted fields, sealed keys,
the advisers' notification rows — and commits before it returns, because the caller
tells the student "filed" right after. Nothing the student wrote, and not the receipt,
is ever written in the clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import (
    aead,
    hpke_seal,
    private_keys,
    proofs,
    receipt_keys,
    sealed_content,
    tokens,
)
from storage.crypto.kdf_thread import in_kdf_thread
from storage.crypto.keys import KeyStore
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import (
    ADVISER,
    RECOVERY,
    sealed_copy,
    sealed_copy_row,
    verified_recipients,
)
from storage.db.clock import Clock, student_time, utcnow
from storage.db.models import Deadline, Report, ReportField, SealedKey
from storage.repositories.outbox import notification_rows
from storage.repositories.patterns import PatternPolicy, Tag, match_new_report
from vocabulary import CHANNELS, SECTORS, ReportStatus, normalize_receipt

REPORT_KEY_FIELD = "report_key"  # the report's private key, under its data key
PUSH_TARGET_FIELD = "push_target"  # where the student asked to be nudged; erased on closing
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
FIELD_MAX = 32
# A lookup-id or reference collision is astronomically rare; a repeat means a bug.
_FILE_TRIES = 3


class ReportNotFound(LookupError):
    """No report with that id."""


class ReceiptTaken(Exception):
    """The code the student saved already belongs to a report: they need a new one."""


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
    content: Mapping[str, str]  # field name -> what the student said; all encrypted
    recipients: tuple[Recipient, ...] = ()  # empty: only the recovery key can read it
    notify: tuple[tuple[str, str], ...] = ()  # (adviser_id, channel)
    level: str | None = None  # mbo | hbo
    workplace_org_id: str | None = None
    deadlines: tuple[tuple[str, datetime], ...] = ()  # (acknowledge | feedback, due)
    sector: str | None = None  # vocabulary.SECTORS; None: the student skipped it
    channel: str | None = None  # vocabulary.CHANNELS: which app, never which chat
    # The student said yes to matching: keyed hashes of the company
    # (`storage.repositories.patterns`).
    matching: tuple[Tag, ...] = ()


@dataclass(frozen=True)
class Filed:
    report_id: str
    reference: str
    receipt: str  # shown to the student once; never stored


def new_reference() -> str:
    """ "SM-7K3Q-XD9P": 40 bits, for people to quote; it opens nothing."""
    chars = tokens.random_string(REFERENCE_ALPHABET, 8)
    return f"SM-{chars[:4]}-{chars[4:]}"


# Work the caller needs in the same transaction as the report (its conversation state,
# say), so that a crash leaves either both or neither.
AlsoInTransaction = Callable[[AsyncSession, "Filed"], Awaitable[None]]


class ReportStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: KeyStore,
        clock: Clock = utcnow,
        *,
        patterns: PatternPolicy | None = None,
    ) -> None:
        """`patterns`: None turns matching off (a report's hashes are then not stored)."""
        self.sessions = sessions
        self.keys = keys
        self.clock = clock
        self.patterns = patterns

    async def _receipt_keys(self, code: str) -> receipt_keys.ReceiptKeys:
        return await in_kdf_thread(
            receipt_keys.derive_receipt_keys, code, self.keys.receipt_salt, self.keys.kdf
        )

    def draw_receipt(self) -> str:
        """A new receipt code, for the student to save before the report is filed."""
        return receipt_keys.generate_receipt()

    async def file(
        self,
        new: NewReport,
        *,
        receipt: str | None = None,
        also: AlsoInTransaction | None = None,
    ) -> Filed:
        """Seal and store under `receipt` (the code the student already saved; drawn here
        when None); committed when this returns. The code is in `Filed` only.

        `also` runs inside the same transaction once the rows are in (the conversation's
        deletion): a crash leaves both or neither. ReceiptTaken when another report has
        the code's lookup id (astronomically rare): the student must save a new code, so
        none is drawn silently here.
        """
        _check(new)
        code = receipt if receipt is not None else receipt_keys.generate_receipt()
        derived = await self._receipt_keys(code)
        for attempt in range(_FILE_TRIES):
            try:
                return await self._insert(new, code, derived, also)
            except IntegrityError:  # a reference taken (or the lookup, by a race): again
                if attempt == _FILE_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def _insert(
        self,
        new: NewReport,
        receipt: str,
        derived: receipt_keys.ReceiptKeys,
        also: AlsoInTransaction | None,
    ) -> Filed:
        report_id = uuid.uuid4().hex
        data_key = sealed_content.new_data_key()
        report_private, report_public = hpke_seal.generate_keypair()
        content = {
            **new.content,
            REPORT_KEY_FIELD: private_keys.private_key_bytes(report_private).hex(),
        }
        now = student_time(self.clock())  # filing is the student's act: to the hour
        report = Report(
            id=report_id,
            reference=new_reference(),
            org_id=new.org_id,
            phase=new.phase,
            grounds=",".join(sorted(set(new.grounds))),
            when_bucket=new.when_bucket,
            wants=new.wants,
            visibility=new.visibility,
            urgent=new.urgent,
            status=ReportStatus.RECEIVED,
            created_at=now,
            updated_at=now,
            receipt_lookup=derived.lookup,
            receipt_wrapped_key=receipt_keys.wrap_data_key(
                data_key, derived.wrap_key, report_id=report_id
            ),
            public_key=report_public,
            key_mac=self.keys.server.report_key_mac(report_id, report_public),
            level=new.level,
            workplace_org_id=new.workplace_org_id,
            sector=new.sector,
            channel=new.channel,
            filed_org_id=new.org_id,
        )
        proofs.prove_consent(self.keys.server, report)
        async with self.sessions() as session, session.begin():
            taken = await session.scalar(
                select(Report.id).where(Report.receipt_lookup == derived.lookup)
            )
            if taken is not None:
                raise ReceiptTaken
            session.add(report)
            await session.flush()  # the parent row first, for the foreign keys
            session.add_all(_fields(data_key, report_id, content))
            # Only to advisers whose stored key checks out: a key swapped in the
            # database is refused and logged; the report then still reaches the others
            # and the recovery key, never the swapped-in key.
            readers = await verified_recipients(
                session, self.keys.server, [(r.adviser_id, r.public_key) for r in new.recipients]
            )
            session.add_all(_sealed(data_key, report_id, readers, self.keys.recovery_public))
            session.add_all(notification_rows(report_id, new.notify, "new_report", now))
            session.add_all(
                Deadline(report_id=report_id, kind=kind, due_at=due, level=0, next_step_at=due)
                for kind, due in new.deadlines
            )
            if new.matching and self.patterns is not None:
                # The release, if this report completes or joins a pattern, commits
                # with the report: exactly once per new matching report.
                await match_new_report(
                    session, self.keys.server, report_id, new.matching, self.patterns, now
                )
            filed = Filed(report_id, report.reference, receipt)
            if also is not None:
                await session.flush()
                await also(session, filed)
        return filed

    async def by_receipt(self, session: AsyncSession, text: str) -> tuple[Report, bytes] | None:
        """The report a receipt opens and its data key, or None (typo, guess, erased)."""
        code = normalize_receipt(text)
        if code is None:
            return None
        derived = await self._receipt_keys(code)
        report = await session.scalar(select(Report).where(Report.receipt_lookup == derived.lookup))
        if report is None or report.receipt_wrapped_key is None:
            return None
        try:
            key = receipt_keys.unwrap_data_key(
                report.receipt_wrapped_key, derived.wrap_key, report_id=report.id
            )
        except aead.CryptoError:
            return None
        return report, key

    async def read_with_recovery(
        self, report_id: str, recovery_private: X25519PrivateKey
    ) -> dict[str, str]:
        """For the operator holding the offline recovery key.

        Only tests call it today; it stays because the `stagemeld recover` command the
        next issue adds is exactly this (the recovery key opens every report).
        Raises ReportNotFound for an unknown id and CryptoError for a key that is not the
        recovery key: an operator needs to know which of the two went wrong.
        """
        async with self.sessions() as session:
            sealed = await sealed_copy(session, report_id, RECOVERY, RECOVERY)
            if sealed is None:
                raise ReportNotFound(report_id)
            key = hpke_seal.open_key(sealed, recovery_private, report_id=report_id)
            return await report_content(session, report_id, key)


def _check(new: NewReport) -> None:
    """Programming errors, caught before any Argon2id work or half-built transaction."""
    ids = [r.adviser_id for r in new.recipients]
    if len(ids) != len(set(ids)):
        raise ValueError("an adviser is listed twice in recipients")
    if RECOVERY in ids:
        raise ValueError(f"{RECOVERY!r} is reserved for the recovery key")
    if any("," in g for g in new.grounds):
        raise ValueError("a grounds code contains a comma")
    if any(not name or len(name) > FIELD_MAX for name in new.content):
        raise ValueError(f"content field names must be 1-{FIELD_MAX} characters")
    if REPORT_KEY_FIELD in new.content:
        raise ValueError(f"{REPORT_KEY_FIELD!r} is the report's own key, not content")
    if new.sector is not None and new.sector not in SECTORS:
        raise ValueError(f"sector {new.sector!r} is not one of vocabulary.SECTORS")
    if new.channel is not None and new.channel not in CHANNELS:
        raise ValueError(f"channel {new.channel!r} is not one of vocabulary.CHANNELS")


def _fields(key: bytes, report_id: str, content: Mapping[str, str]) -> list[ReportField]:
    return [
        ReportField(
            report_id=report_id,
            field=name,
            ciphertext=sealed_content.encrypt_field(
                key, value.encode(), report_id=report_id, field=name
            ),
        )
        for name, value in content.items()
    ]


def _sealed(
    key: bytes, report_id: str, readers: list[tuple[str, bytes]], recovery_public: bytes
) -> list[SealedKey]:
    rows = [
        sealed_copy_row(key, report_id, ADVISER, adviser_id, public)
        for adviser_id, public in readers
    ]
    rows.append(sealed_copy_row(key, report_id, RECOVERY, RECOVERY, recovery_public))
    return rows


async def report_content(session: AsyncSession, report_id: str, key: bytes) -> dict[str, str]:
    """What the student said; the report's own private key is not content and stays out."""
    rows = await session.scalars(
        select(ReportField).where(
            ReportField.report_id == report_id, ReportField.field != REPORT_KEY_FIELD
        )
    )
    return {
        row.field: sealed_content.decrypt_field(
            key, row.ciphertext, report_id=report_id, field=row.field
        ).decode()
        for row in rows
    }


async def report_private_key(
    session: AsyncSession, report_id: str, data_key: bytes
) -> X25519PrivateKey | None:
    """The report's own private key (opens what the student sent after filing)."""
    blob = await session.scalar(
        select(ReportField.ciphertext).where(
            ReportField.report_id == report_id, ReportField.field == REPORT_KEY_FIELD
        )
    )
    if blob is None:
        return None
    raw = sealed_content.decrypt_field(data_key, blob, report_id=report_id, field=REPORT_KEY_FIELD)
    return private_keys.private_key_from_bytes(bytes.fromhex(raw.decode()))


async def forget_push_target(session: AsyncSession, report_id: str) -> None:
    """In the caller's transaction: a closed or withdrawn report keeps no chat address."""
    await session.execute(
        delete(ReportField).where(
            ReportField.report_id == report_id, ReportField.field == PUSH_TARGET_FIELD
        )
    )
