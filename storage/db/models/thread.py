"""A report's thread: messages, attachments and what each side has read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db.models.base import Base, UtcDateTime


class Message(Base):
    """One entry in a report's thread: adviser ↔ student messages, advisers' internal
    notes, and events the student may see (hand-over, status) as codes.

    `scheme` says how `ciphertext` is sealed: "key2" = AES-GCM under the report's data
    key (written by an adviser, who holds it during their session), "hpke2" = sealed to
    the report's public key (written by the student, when the server holds no key at
    all), "none" for events, whose `event` code is not content. Both sealed schemes bind
    `author_kind`, `author_id`, `internal`, `event` and the scheme itself into the
    associated data (`storage.crypto.thread`), so a flag flipped in the database makes the row
    fail to open. "key" and "hpke" are the older schemes without that binding: still
    read, never written.
    """

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random; bound in AAD
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(16))  # adviser | student | event
    author_id: Mapped[str | None] = mapped_column(String(64))  # the adviser, if one
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # a note: never shown
    event: Mapped[str | None] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(8))  # key2 | hpke2 | none (| key | hpke)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Proof the service wrote it (`storage.crypto.proofs.message_mac`): a row a database
    # writer sealed or moved itself fails it and is shown "possibly altered".
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class Attachment(Base):
    """A file the student sent: name, type and bytes in one HPKE-sealed blob."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # `proofs.attachment_mac`


class ReadMark(Base):
    """Up to when an adviser has read a report's thread, for "unread" counts."""

    __tablename__ = "read_marks"

    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    adviser_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())
