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
    false,
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
        if not isinstance(value, datetime):
            raise TypeError(f"a DateTime column returned {type(value).__name__}")
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


class AdviserKey(Base):
    """An adviser's key pair: the public half in the clear (it only seals), the private
    half under their passphrase (Argon2id + AES-GCM)."""

    __tablename__ = "adviser_keys"

    adviser_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    # HMAC (server sub-key) of (adviser_id, org_id, public_key): checked before a report
    # is sealed to this key. A row without one (or a wrong one) is never sealed to.
    key_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    protected_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Notification(Base):
    """Outbox: "a new report for your organisation", written in the report's own
    transaction so a crash can't lose it. Carries no content."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # new_report | reminder | escalated_org | escalated_network | student_message |
    # handed_over | retention_warning: picks the (content-free) text at sending time.
    kind: Mapped[str] = mapped_column(String(32), default="new_report", server_default="new_report")
    adviser_id: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Conversation(Base):
    """An unfinished conversation: keyed by the chat hash, sealed with its own shreddable
    key (keys.dir/drafts/<chat hash> + the chat id); no time but its expiry, to the hour."""

    __tablename__ = "conversations"

    chat_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
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


class AuditEntry(Base):
    """Append-only, hash-chained: each `mac` covers the entry and the previous `mac`,
    keyed with a server sub-key, so a removed or altered row breaks the chain and a
    database-only attacker cannot re-compute it. Content-free by construction."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))  # adviser id | system | student
    action: Mapped[str] = mapped_column(String(32))
    report_id: Mapped[str | None] = mapped_column(String(32), index=True)  # kept after erasure
    org_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(200), default="")
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """The newest entry's seq and mac: one row, locked by each append (serialises
    replicas) and compared by verification (so a cut-off tail is detected too)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class AdviserAccount(Base):
    """What the console needs to let an adviser in: TOTP secret (sealed with the server
    key: the server must check codes), a second copy of the private key under the
    recovery code, and login throttling. The key pair itself is in `adviser_keys`."""

    __tablename__ = "adviser_accounts"

    adviser_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    totp_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)  # no replay
    recovery_protected_key: Mapped[bytes] = mapped_column(LargeBinary)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Enrolment(Base):
    """A one-time enrolment link: only a hash of its token is stored."""

    __tablename__ = "enrolments"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    adviser_id: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The operator approved a new key pair for an adviser who held one before.
    reenrol: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # HMAC (server sub-key) of (token_hash, adviser_id, expires_at, reenrol): a row
    # without one (or a wrong one) enrols nobody.
    mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))


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


class PatternTag(Base):
    """A report whose student said yes to matching: the keyed hash (`MatchingKey`, its
    own key file) of the normalised company name or KvK number, never the name. One row
    per kept matching key (`key_id`), so a rotated key's hashes can be retired."""

    __tablename__ = "pattern_tags"

    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # name | kvk
    tag: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)


class Pattern(Base):
    """Reports that name the same company, released when enough of them consented. No
    name, no hash: which company it is stays with the advisers who hold the reports."""

    __tablename__ = "patterns"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PatternMember(Base):
    """A report in a pattern (at most one). `share_allowed`: what the student allowed
    their adviser to share the report itself with ("" nobody, "network", "sbb")."""

    __tablename__ = "pattern_members"

    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    pattern_id: Mapped[str] = mapped_column(
        ForeignKey("patterns.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    share_allowed: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # HMAC (server sub-key) of (report, pattern, share_allowed): `proofs.share_mac`.
    share_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class PatternName(Base):
    """A company name an adviser chose to share with a coordinator: HPKE-sealed to that
    coordinator's key (`matching.seal_shared_name`), bound to the pattern and report."""

    __tablename__ = "pattern_names"
    __table_args__ = (UniqueConstraint("pattern_id", "report_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pattern_id: Mapped[str] = mapped_column(ForeignKey("patterns.id", ondelete="CASCADE"))
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    recipient_id: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PatternLock(Base):
    """One row, updated first by every filing that takes part in matching: the row lock
    (PostgreSQL) or write lock (SQLite) makes two such filings take turns, so two
    matching reports filed at the same moment form one pattern, not two or none."""

    __tablename__ = "pattern_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    turns: Mapped[int] = mapped_column(BigInteger, default=0)


class ConsoleSessionRow(Base):
    """A signed-in adviser's console session, so that any replica serves any request.

    The private key is sealed under a key derived from the cookie's token, which is not
    stored: without the adviser's cookie the row opens nothing. Deleted on logout and
    once idle for longer than the console allows."""

    __tablename__ = "console_sessions"

    lookup: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)  # token's hash
    adviser_id: Mapped[str] = mapped_column(String(64), index=True)
    key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    lang: Mapped[str] = mapped_column(String(8))
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
