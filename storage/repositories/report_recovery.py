"""The operator's way in with the offline recovery key (`stagemeld recover`): where a
report may go, read from its plaintext routing columns and the student's proven
consent, and sealing its data key to one more adviser with the recovery key.

Apart from filing, because only the command line (with the recovery key in hand) does
this, never the running service; the content is never decrypted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import hpke_seal, proofs, server_key
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import (
    ADVISER,
    RECOVERY,
    KeyNotAuthentic,
    sealed_copy,
    sealed_copy_row,
    verified_recipients,
)
from storage.db.models import Report
from storage.repositories import audit
from storage.repositories.outbox import notification_rows
from storage.repositories.reports import Recipient, ReportNotFound


@dataclass(frozen=True)
class Placement:
    """Where a report may go, for `stagemeld recover`'s organization check: its
    plaintext routing columns, nothing decrypted."""

    report_id: str
    reference: str
    org_id: str | None
    visibility: str
    workplace_org_id: str | None
    consent_proven: bool  # the visibility and workplace are the student's (their MAC)


async def placement(
    session: AsyncSession, server: server_key.ServerKey, report: str
) -> Placement | None:
    """A report by id or by reference (SM-…), unless erased; None when there is none."""
    row = await session.scalar(
        select(Report).where(
            (Report.id == report) | (Report.reference == report.upper()),
            Report.erased_at.is_(None),
        )
    )
    if row is None:
        return None
    proven = proofs.consent_proven(server, row)
    where = (row.org_id, row.visibility, row.workplace_org_id)
    return Placement(row.id, row.reference, *where, proven)


async def reseal_with_recovery(
    session: AsyncSession,
    server: server_key.ServerKey,
    report_id: str,
    recovery_private: X25519PrivateKey,
    to: Recipient,
    *,
    notify: tuple[tuple[str, str], ...],
    at: datetime,
) -> bool:
    """In the caller's transaction: the recovery key opens the report's data key, which
    is sealed to `to` (one new `sealed_keys` row), with a content-free audit entry by
    "operator" and a hand-over notice. False when the report is sealed to them already.
    Raises ReportNotFound (no such report, or erased) and CryptoError (not the recovery
    key). Nothing but the new copy is written; the content is never decrypted."""
    report = await session.get(Report, report_id, with_for_update=True)
    sealed = await sealed_copy(session, report_id, RECOVERY, RECOVERY)
    if report is None or report.erased_at is not None or sealed is None:
        raise ReportNotFound(report_id)
    org_id = report.org_id
    data_key = hpke_seal.open_key(sealed, recovery_private, report_id=report_id)
    if await sealed_copy(session, report_id, ADVISER, to.adviser_id) is not None:
        return False
    if not await verified_recipients(session, server, [(to.adviser_id, to.public_key)]):
        raise KeyNotAuthentic(f"the public key of adviser {to.adviser_id} fails its MAC")
    session.add(sealed_copy_row(data_key, report_id, ADVISER, to.adviser_id, to.public_key))
    session.add_all(notification_rows(report_id, notify, "handed_over", at))
    await audit.append(
        session,
        server,
        at=at,
        actor="operator",
        action="recover",
        report_id=report_id,
        org_id=org_id,
        detail=to.adviser_id,
    )
    return True
