"""The proofs for rows written before proofs existed: computed once, at the first start
with keys.dir after the migration that added their columns.

A migration has no keys.dir, so it cannot compute a MAC; and marking old rows "from
before the proof existed" in the database would be a mark any writer can copy onto a
forged row. So the service proves every row still without a MAC once, at its first
start, and then writes `proofs.since` into keys.dir: from then on a row without a proof
is treated like a row with a wrong one ("possibly altered", consent refused). The window
is what a writer inserted between the upgrade and that first start, i.e. before the
service could have told it apart.

Advisers thereby see their existing threads as they were, without a note on every old
message; only what was slipped in later is marked.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import proofs
from storage.crypto.files import fsync_dir, to_the_hour
from storage.crypto.keys import KeyStore
from storage.db.clock import STUDENT_PRECISION, floor_to
from storage.db.models import (
    Attachment,
    Evaluation,
    EvaluationCopy,
    Message,
    PatternMember,
    Report,
)

MARKER = "proofs.since"
log = logging.getLogger(__name__)


async def backfill(sessions: async_sessionmaker[AsyncSession], keys: KeyStore) -> int:
    """Prove every row still without a proof, unless keys.dir says that was done; the
    number of rows proven."""
    marker = Path(keys.dir) / MARKER
    if marker.exists():
        return 0
    server = keys.server
    count = 0
    async with sessions() as session, session.begin():
        for message in await session.scalars(select(Message).where(Message.mac.is_(None))):
            proofs.prove_message(server, message)
            count += 1
        for file in await session.scalars(select(Attachment).where(Attachment.mac.is_(None))):
            proofs.prove_attachment(server, file)
            count += 1
        for report in await session.scalars(select(Report).where(Report.consent_mac.is_(None))):
            proofs.prove_consent(server, report)
            count += 1
        members = select(PatternMember).where(PatternMember.share_mac.is_(None))
        for member in await session.scalars(members):
            proofs.prove_share(server, member)
            count += 1
        copies = select(Evaluation, EvaluationCopy).join(
            EvaluationCopy, EvaluationCopy.evaluation_id == Evaluation.id
        )
        for row, copy in await session.execute(copies.where(EvaluationCopy.mac.is_(None))):
            proofs.prove_evaluation(server, row, copy)
            count += 1
    _write_marker(marker)
    if count:
        log.warning("proved %d rows written before proofs existed (once)", count)
    return count


def _write_marker(marker: Path) -> None:
    """Written after the commit: a crash in between only proves the same rows again.
    Like every file in keys.dir it says no more than the hour (content and times)."""
    partial = marker.with_suffix(".tmp")
    hour = floor_to(datetime.now(UTC), STUDENT_PRECISION)
    partial.write_text(hour.isoformat() + "\n", encoding="utf-8")
    os.chmod(partial, 0o600)
    os.replace(partial, marker)
    fsync_dir(marker.parent)
    to_the_hour(marker, marker.parent)
