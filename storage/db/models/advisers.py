"""The advisers: their keys, console accounts, enrolment links, sessions and notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db.models.base import Base, UtcDateTime


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
