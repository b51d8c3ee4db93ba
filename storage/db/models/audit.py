"""The append-only, MAC-chained audit log and its head."""

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
