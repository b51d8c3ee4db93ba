"""Copies of a report's data key, each sealed (HPKE) to one reader: an adviser, or the
offline recovery key.

Holding a copy is what reading a report means: the console's access rule and the
recovery command both come down to "is there a copy for this reader, and does their
private key open it". Both ask here, so there is one lookup to review.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import crypto
from storage.models import SealedKey

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
