"""A report and what hangs on it: fields, sealed key copies, deadlines, the evaluation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db.models.base import Base, UtcDateTime


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
    # Null once erased after the retention period: the code then opens nothing.
    receipt_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    receipt_wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The report's own X25519 public key: the student's later messages and files are
    # HPKE-sealed to it, so replying needs no secret on the server. Its private half is
    # a content field under the data key.
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # HMAC (server sub-key) of (id, public_key): checked before anything is sealed to it,
    # so a key swapped in the database alone is refused. Null only once erased.
    key_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    level: Mapped[str | None] = mapped_column(String(8))  # mbo | hbo, for statistics
    workplace_org_id: Mapped[str | None] = mapped_column(String(64))  # a known workplace
    # The organization the report was filed with (`org_id` follows a move; this stays),
    # and the one that last moved it to `org_id`: the receiving side may hand it back.
    filed_org_id: Mapped[str | None] = mapped_column(String(64))
    handed_from_org_id: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retention_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Statistics, kept on erasure: the internship's sector (vocabulary.SECTORS; null:
    # skipped), and the student's evaluation of the follow-up after closing: the score
    # 1-5 (null: not given) and the month it was answered or declined (set once; null:
    # not asked yet). `first_feedback_at` above is the directive's deadline, not this.
    sector: Mapped[str | None] = mapped_column(String(32))
    evaluation_score: Mapped[int | None] = mapped_column(Integer)
    evaluation_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The channel it was filed through (vocabulary.CHANNELS; null: filed before 0009).
    channel: Mapped[str | None] = mapped_column(String(16))
    # HMAC (server sub-key) of the student's choice of where the report may go
    # (visibility, level, workplace: `storage.crypto.proofs.consent_mac`): checked before
    # every hand-over, share or recovery that depends on it.
    consent_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))


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


class Deadline(Base):
    """A response time of one report and how far its escalation has gone.

    level: 0 nothing sent, 1 recipients reminded, 2 organization's coordinator told,
    3 network coordinator told. Advanced by compare-and-set, so a restart or a second
    replica never sends a step twice.
    """

    __tablename__ = "deadlines"
    __table_args__ = (UniqueConstraint("report_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # acknowledge | feedback | reply
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    level: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Evaluation(Base):
    """What a student wrote about the follow-up of their closed report ("what could be
    better"), HPKE-sealed to each network coordinator (and the recovery key) in
    `evaluation_copies`. `quote`: the student allowed quoting it anonymously; it is bound
    into every copy's HPKE `info`, so a flag flipped in the database makes it fail to
    open. `report_id` is cleared when the report is erased and a quotable text is kept
    (unquotable ones are erased with their report); `month`: the first day of the month
    it was given, the finest time a quote is shown with."""

    __tablename__ = "evaluations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random; bound in info
    report_id: Mapped[str | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), unique=True
    )
    month: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    quote: Mapped[bool] = mapped_column(Boolean)


class EvaluationCopy(Base):
    """One reader's copy of an evaluation's text: HPKE-sealed to their public key."""

    __tablename__ = "evaluation_copies"
    __table_args__ = (UniqueConstraint("evaluation_id", "recipient_kind", "recipient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[str] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    recipient_kind: Mapped[str] = mapped_column(String(16))  # adviser | recovery
    recipient_id: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # `proofs.evaluation_mac`
