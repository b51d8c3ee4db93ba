"""The database schema. Plaintext columns exist only where routing, deadlines or
statistics need them; everything a student wrote is a ciphertext column.

Column lengths are enforced by PostgreSQL and not by SQLite, so they are generous enough
for every id the config allows (31 characters) and every code the dialogues use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that is UTC-aware on every backend.

    PostgreSQL keeps the zone; SQLite stores text and hands back naive values. Binding
    only aware datetimes (converted to UTC) and re-attaching UTC on the way out makes
    comparisons and results identical on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: storage only takes timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Report(Base):
    """One report. Plaintext here is only what routing, deadlines and statistics need:
    coded answers (never free text), status and times. The receipt is not stored; only
    what Argon2id derives from it (a lookup id, and the data key wrapped by the other
    derived key)."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    org_id: Mapped[str | None] = mapped_column(String(64), index=True)
    phase: Mapped[str] = mapped_column(String(32))
    grounds: Mapped[str] = mapped_column(String(255))
    when_bucket: Mapped[str] = mapped_column(String(32))
    wants: Mapped[str] = mapped_column(String(32))
    visibility: Mapped[str] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    receipt_lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    receipt_wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)


class ReportField(Base):
    """Everything the student said, one AES-256-GCM ciphertext per field under the
    report's data key (AAD: report id and field name)."""

    __tablename__ = "report_fields"

    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class SealedKey(Base):
    """The report's data key, HPKE-sealed to one adviser or to the offline recovery key."""

    __tablename__ = "sealed_keys"
    __table_args__ = (UniqueConstraint("report_id", "recipient_kind", "recipient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    recipient_kind: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class AdviserKey(Base):
    """An adviser's key pair: the public half in the clear (it only seals), the private
    half under their passphrase (Argon2id + AES-GCM)."""

    __tablename__ = "adviser_keys"

    adviser_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    protected_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Notification(Base):
    """Outbox: "a new report for your organisation", written in the report's own
    transaction so a crash can't lose it. Carries no content."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    adviser_id: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Conversation(Base):
    """An unfinished conversation: keyed by the chat hash, sealed with the server key."""

    __tablename__ = "conversations"

    chat_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class StatusAttempt(Base):
    """One wrong receipt code typed in a chat (chat hash only), for rate limiting."""

    __tablename__ = "status_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ProcessedUpdate(Base):
    """Update ids already handled (per source), so a redelivered update runs once."""

    __tablename__ = "processed_updates"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
