"""Copies of a report's data key, each sealed (HPKE) to one reader: an adviser, or the
offline recovery key.

Holding a copy is what reading a report means: the console's access rule and the
recovery command both come down to "is there a copy for this reader, and does their
private key open it". Both ask here, so there is one lookup to review.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import crypto
from storage.models import AdviserKey, Report, SealedKey

ADVISER = "adviser"  # recipient_kind of an adviser's copy (recipient_id: the adviser)
RECOVERY = "recovery"  # recipient_kind and recipient_id of the recovery key's copy


def sealed_copy_row(
    data_key: bytes, report_id: str, kind: str, recipient_id: str, public_key: bytes
) -> SealedKey:
    """A new copy of the data key for one reader, bound to this report."""
    return SealedKey(
        report_id=report_id,
        recipient_kind=kind,
        recipient_id=recipient_id,
        sealed=crypto.seal_key(data_key, public_key, report_id=report_id),
    )


async def sealed_copy(
    session: AsyncSession, report_id: str, kind: str, recipient_id: str
) -> bytes | None:
    """The reader's sealed copy, or None when the report is not sealed to them."""
    sealed: bytes | None = await session.scalar(
        select(SealedKey.sealed).where(
            SealedKey.report_id == report_id,
            SealedKey.recipient_kind == kind,
            SealedKey.recipient_id == recipient_id,
        )
    )
    return sealed


async def is_sealed_to(session: AsyncSession, report_id: str, adviser_id: str) -> bool:
    return await sealed_copy(session, report_id, ADVISER, adviser_id) is not None


async def open_adviser_copy(
    session: AsyncSession, report_id: str, adviser_id: str, private: X25519PrivateKey
) -> bytes | None:
    """The data key, if the report is sealed to this adviser and this is their key."""
    sealed = await sealed_copy(session, report_id, ADVISER, adviser_id)
    if sealed is None:
        return None
    try:
        return crypto.open_key(sealed, private, report_id=report_id)
    except crypto.CryptoError:
        return None


async def report_recipients(session: AsyncSession, report_id: str) -> tuple[str, ...]:
    """The advisers a report is sealed to: its readers, and the ones to tell about it."""
    ids = await session.scalars(
        select(SealedKey.recipient_id)
        .where(SealedKey.report_id == report_id, SealedKey.recipient_kind == ADVISER)
        .order_by(SealedKey.recipient_id)
    )
    return tuple(ids)


def orphaned() -> ColumnElement[bool]:
    """A report (not erased) that no enrolled adviser can open: no adviser's copy whose
    adviser still has a key, so only the offline recovery key reads it. It happens when
    a report is routed to an organization whose advisers have not enrolled yet."""
    readable = exists().where(
        SealedKey.report_id == Report.id,
        SealedKey.recipient_kind == ADVISER,
        SealedKey.recipient_id == AdviserKey.adviser_id,
    )
    return Report.erased_at.is_(None) & ~readable


async def orphan_counts(
    session: AsyncSession, org_ids: Sequence[str] | None = None
) -> dict[str | None, int]:
    """How many orphaned reports each organization has (all organizations when None)."""
    query = select(Report.org_id, func.count()).where(orphaned()).group_by(Report.org_id)
    if org_ids is not None:
        query = query.where(Report.org_id.in_(list(org_ids)))
    return {org_id: int(n) for org_id, n in (await session.execute(query)).all()}


async def orphan_ids(session: AsyncSession) -> list[str]:
    """The orphaned reports' ids, oldest first (for `stagemeld recover --orphans`)."""
    rows = await session.scalars(select(Report.id).where(orphaned()).order_by(Report.created_at))
    return list(rows)
