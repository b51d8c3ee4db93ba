"""What the audit chain says about enrolments: who ever held a key, and whether every
enrolment on the console followed a link the operator's command line issued.

The chain is keyed with a server sub-key and its head is anchored in keys.dir, so a
database writer cannot remove an entry unnoticed: it is the record, outside their
reach, of every key pair the server ever stored for an adviser. The rows of
`adviser_keys` and `adviser_accounts` are not — they can be deleted without a trace —
so "has this adviser ever held a key?" is answered here, never from those rows.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db.models import AuditEntry

SYSTEM = "system"  # the actor of what the command line (or the demo) did
# Issued by `stagemeld adviser add` (detail: the adviser id); the *_key ones also stored
# a key pair made by the operator. "reenrol_*": the operator approved a new key pair for
# an adviser who held one before.
LINK_ACTIONS = frozenset({"enrol_link", "reenrol_link", "enrol_key", "reenrol_key"})
KEYED_ACTIONS = frozenset({"enrol_key", "reenrol_key"})
ENROL = "enrol"  # a key pair and account stored (actor: the adviser, or system + detail)
WITHOUT_LINK = "enrol_without_link"


def link_action(*, reenrol: bool, keyed: bool) -> str:
    """The audit action of a link the operator's command line issues."""
    return ("reenrol_" if reenrol else "enrol_") + ("key" if keyed else "link")


async def first_key_entry(session: AsyncSession, adviser_id: str) -> int | None:
    """The seq of the first entry that stored a key pair for this adviser, if any. Trust
    its absence only as far as the chain verifies (`audit.verify`). A scan of the log
    (no index on action or detail): callers ask only for a link whose MAC checked out,
    so nobody without a genuine link can make the server run it."""
    seq: int | None = await session.scalar(
        select(AuditEntry.seq)
        .where(
            or_(
                (AuditEntry.action == ENROL) & (AuditEntry.actor == adviser_id),
                AuditEntry.action.in_(sorted(KEYED_ACTIONS | {ENROL}))
                & (AuditEntry.detail == adviser_id),
            )
        )
        .order_by(AuditEntry.seq)
        .limit(1)
    )
    return seq


class LinkRule:
    """Fed every entry in order by `audit.verify`: an enrolment on the console (actor:
    the adviser) must follow a link issued for that adviser and not used before. The
    server writes the "enrol" entry itself, so a row planted in `enrolments` that the
    server once accepted shows up here as an enrolment without a link."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}  # adviser id -> links issued and not yet used
        self.broken: int | None = None  # the first enrolment without a link

    def see(self, seq: int, actor: str, action: str, detail: str) -> None:
        if action in LINK_ACTIONS:
            self._open[detail] = self._open.get(detail, 0) + 1
        elif action == ENROL and actor != SYSTEM:
            if self._open.get(actor, 0) > 0:
                self._open[actor] -= 1
            elif self.broken is None:
                self.broken = seq
