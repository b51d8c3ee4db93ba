"""`stagemeld recover`: the offline recovery key re-seals chosen reports to an adviser.

For reports nobody can read (routed to an organization whose advisers had not enrolled,
"orphans") and for an adviser who lost both passphrase and recovery code. The recovery
key opens each report's data key, which is then sealed to the adviser's enrolled public
key: one new `sealed_keys` row, one audit entry by "operator" naming the report and the
adviser (no content), one hand-over notice, in one transaction per report. The content
is never decrypted, and the recovery key is never logged, printed or written.

A report goes only where the student allowed it to go, decided as the console's
hand-over decides (`escalation.console.handover`): the report's own organization, and per
its visibility the workplace, SBB or the network — and, outside its own organization,
only while that visibility carries the proof the service stored it (`consent_altered`
otherwise, audit-logged). `force_org` overrides both, for the operator who has checked
with the student or the coordinators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.casework.directory import Adviser, Directory
from escalation.console.handover import allowed_organizations
from storage.crypto.aead import CryptoError
from storage.crypto.private_keys import X25519PrivateKey
from storage.crypto.sealed_keys import KeyNotAuthentic, orphan_ids
from storage.crypto.server_key import ServerKey
from storage.repositories import audit
from storage.repositories.advisers import AdviserKeys
from storage.repositories.report_recovery import Placement, placement, reseal_with_recovery
from storage.repositories.reports import Recipient, ReportNotFound, ReportStore

RESEALED, ALREADY, NOT_FOUND, OTHER_ORG, WRONG_KEY, KEY_NOT_AUTHENTIC = (
    "resealed", "already", "not_found", "other_org", "wrong_key", "adviser_key_not_authentic",
)  # fmt: skip
CONSENT_ALTERED = "consent_altered"  # the student's choice fails its MAC: changed in the db


@dataclass(frozen=True)
class Outcome:
    asked: str  # the id or reference the operator named
    reference: str  # "" when no such report
    result: str  # one of the seven above

    @property
    def ok(self) -> bool:
        return self.result in (RESEALED, ALREADY)


@dataclass(frozen=True)
class Recovery:
    """What re-sealing uses: who may receive (the directory, the advisers' keys), the
    database, the server key the audit entry is chained with, and the reports' clock."""

    directory: Directory
    advisers: AdviserKeys
    sessions: async_sessionmaker[AsyncSession]
    server: ServerKey
    reports: ReportStore  # its clock: when the hand-over happened
    channels: frozenset[str]  # where notices can go: telegram, email


class RecoverRefused(Exception):
    """Nothing done: the adviser is unknown or has no key yet."""


def may_go_to(directory: Directory, where: Placement, adviser: Adviser) -> bool:
    """The console's hand-over rule: the report's organization, or one its visibility
    allows (`allowed_organizations`)."""
    if adviser.org_id == where.org_id:
        return True
    allowed = allowed_organizations(
        directory, visibility=where.visibility, from_org=where.org_id or "",
        workplace_org=where.workplace_org_id,
    )  # fmt: skip
    return any(o.id == adviser.org_id for o in allowed)


def _consent_holds(where: Placement, adviser: Adviser) -> bool:
    """Outside the report's own organization only the student's choice lets it go: that
    choice must be the one the service stored (its MAC), not one a writer put there."""
    return adviser.org_id == where.org_id or where.consent_proven


async def recover(
    parts: Recovery,
    recovery_private: X25519PrivateKey,
    adviser_id: str,
    reports: Sequence[str] | None,
    *,
    force_org: bool = False,
) -> list[Outcome]:
    """Re-seals `reports` (ids or references; None: every orphan) to the adviser."""
    adviser = parts.directory.adviser(adviser_id)
    if adviser is None:
        raise RecoverRefused(f"no adviser {adviser_id} in the config")
    keys = await parts.advisers.public_keys([adviser_id])
    if adviser_id not in keys:
        raise RecoverRefused(
            f"adviser {adviser_id} has no key yet: `stagemeld adviser add --adviser "
            f"{adviser_id}` first (their key must exist to seal to it)"
        )
    to = Recipient(adviser_id, keys[adviser_id])
    notify = tuple((adviser_id, c) for c in adviser.channels if c in parts.channels)
    if reports is None:
        async with parts.sessions() as session:
            reports = await orphan_ids(session)
    outcomes = []
    for asked in reports:
        outcomes.append(await _one(parts, recovery_private, asked, adviser, to, notify, force_org))
    return outcomes


async def _one(
    parts: Recovery,
    recovery_private: X25519PrivateKey,
    asked: str,
    adviser: Adviser,
    to: Recipient,
    notify: tuple[tuple[str, str], ...],
    force_org: bool,
) -> Outcome:
    async with parts.sessions() as session, session.begin():
        where = await placement(session, parts.server, asked.strip())
        if where is None:
            return Outcome(asked, "", NOT_FOUND)
        if not force_org and not _consent_holds(where, adviser):
            await audit.append(
                session, parts.server, at=parts.reports.clock(), actor="operator",
                action=CONSENT_ALTERED, report_id=where.report_id, org_id=where.org_id,
                detail=f"recover:{adviser.id}",
            )  # fmt: skip
            return Outcome(asked, where.reference, CONSENT_ALTERED)
        if not force_org and not may_go_to(parts.directory, where, adviser):
            return Outcome(asked, where.reference, OTHER_ORG)
        try:
            done = await reseal_with_recovery(
                session, parts.server, where.report_id, recovery_private, to,
                notify=notify, at=parts.reports.clock(),
            )  # fmt: skip
        except ReportNotFound:
            return Outcome(asked, where.reference, NOT_FOUND)
        except KeyNotAuthentic:  # the adviser's stored key was changed: enrol them again
            return Outcome(asked, where.reference, KEY_NOT_AUTHENTIC)
        except CryptoError:
            return Outcome(asked, where.reference, WRONG_KEY)
    return Outcome(asked, where.reference, RESEALED if done else ALREADY)
