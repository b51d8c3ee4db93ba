"""The chat side before and around filing: drafts, wrong-code counts, handled updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db.models.base import Base, UtcDateTime


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
