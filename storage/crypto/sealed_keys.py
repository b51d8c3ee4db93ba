"""Copies of a report's data key, each sealed (HPKE) to one reader: an adviser, or the
offline recovery key.

Holding a copy is what reading a report means: the console's access rule and the
recovery command both come down to "is there a copy for this reader, and does their
private key open it". Both ask here, so there is one lookup to review.

Sealing to a stored public key goes through here too, and only after its MAC (a server
sub-key over the key and who it belongs to) checks out: someone who can write the
database but has no keys.dir cannot swap in a key of their own and read what is sealed
afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import aead, hpke_seal, server_key
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.models import AdviserKey, Report, SealedKey

log = logging.getLogger(__name__)


class KeyNotAuthentic(aead.CryptoError):
    """A stored public key whose MAC does not check out: changed in the database, or
    written without one. Nothing is ever sealed to it. The message names the row (an
    adviser id, or "a report's key"), never a key or anything a student wrote."""


def adviser_key_ok(server: server_key.ServerKey, row: AdviserKey) -> bool:
    expected = server.adviser_key_mac(row.adviser_id, row.org_id, row.public_key)
    return server_key.mac_matches(expected, row.key_mac)


def report_public_key(server: server_key.ServerKey, report: Report) -> bytes:
    """The report's own public key, only if its MAC checks out (KeyNotAuthentic if not).

    Logged without the report's id: the student's side must not leave a trace that
    names their report next to the time they wrote."""
    key = report.public_key
    if key is None or not server_key.mac_matches(
        server.report_key_mac(report.id, key), report.key_mac
    ):
        log.error(
            "KeyNotAuthentic: a report's public key fails its MAC (changed in the database?);"
            " nothing was sealed to it"
        )
        raise KeyNotAuthentic("a report's public key fails its MAC")
    return key


async def authentic_adviser_keys(
    session: AsyncSession, server: server_key.ServerKey, adviser_ids: Iterable[str]
) -> dict[str, bytes]:
    """adviser id -> public key, for those whose stored key checks out. Every adviser
    whose key does not is logged (KeyNotAuthentic, by id) and left out."""
    ids = list(dict.fromkeys(adviser_ids))
    if not ids:
        return {}
    rows = await session.scalars(select(AdviserKey).where(AdviserKey.adviser_id.in_(ids)))
    keys: dict[str, bytes] = {}
    for row in rows:
        if adviser_key_ok(server, row):
            keys[row.adviser_id] = row.public_key
        else:
            log.error(
                "KeyNotAuthentic: the public key of adviser %s fails its MAC (changed in the"
                " database, or enrolled before keys were authenticated); nothing is sealed to"
                " it until they are enrolled again",
                row.adviser_id,
            )
    return keys


async def verified_recipients(
    session: AsyncSession,
    server: server_key.ServerKey,
    recipients: Sequence[tuple[str, bytes]],
) -> list[tuple[str, bytes]]:
    """The (adviser id, public key) pairs it is safe to seal to: the adviser's stored key
    checks out AND is the key the caller holds (read just before, outside this
    transaction). The others are logged and left out."""
    authentic = await authentic_adviser_keys(session, server, (a for a, _ in recipients))
    out = []
    for adviser_id, public_key in recipients:
        stored = authentic.get(adviser_id)
        if stored is None or stored != public_key:
            if stored is not None:
                log.error(
                    "KeyNotAuthentic: adviser %s's key changed since it was read; not sealed",
                    adviser_id,
                )
            continue
        out.append((adviser_id, stored))
    return out


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
        sealed=hpke_seal.seal_key(data_key, public_key, report_id=report_id),
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
        return hpke_seal.open_key(sealed, private, report_id=report_id)
    except aead.CryptoError:
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
