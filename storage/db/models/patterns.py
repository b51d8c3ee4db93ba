"""Company patterns: keyed tags, patterns, members, shared names, the release lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db.models.base import Base, UtcDateTime


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
