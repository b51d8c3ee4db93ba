"""Turns a finished draft into a sealed, routed, stored report.

Plaintext columns are limited to what routing, deadlines and statistics need; everything
the student said goes into `content`, which storage encrypts. The free text is read here
once, in memory, only to keep a named adviser from receiving the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogues import Draft
from escalation.casework.deadlines import DeadlinePolicy, due_dates
from escalation.casework.directory import Directory
from escalation.casework.routing import Facts, Route, Rules, route
from storage.crypto.matching_keys import MatchingKeys
from storage.db.clock import student_time
from storage.repositories.advisers import AdviserKeys
from storage.repositories.patterns import Tag
from storage.repositories.reports import (
    AlsoInTransaction,
    Filed,
    NewReport,
    Recipient,
    ReportStore,
)
from vocabulary import normalize_company, normalize_kvk


@dataclass(frozen=True)
class Filing:
    """What filing a draft uses: who receives it (directory, rules, their keys), when
    it is due, how advisers hear of it, and where it is stored."""

    directory: Directory
    rules: Rules
    advisers: AdviserKeys
    reports: ReportStore
    deadline_policy: DeadlinePolicy
    channels: frozenset[str]  # where notices can go: telegram, email
    matching: MatchingKeys | None = None  # None: company patterns are off


async def file_draft(
    filing: Filing,
    draft: Draft,
    *,
    push_target: str = "",
    receipt: str | None = None,
    also: AlsoInTransaction | None = None,
    channel: str | None = None,
) -> Filed:
    """`push_target` (a chat address) is stored only encrypted, inside the report;
    `receipt` is the code the student saved; `also` runs in the filing's transaction
    (the conversation's deletion)."""
    chosen = route(filing.directory, filing.rules, facts_of(draft))
    keys = await filing.advisers.public_keys([a.id for a in chosen.advisers])
    # As the report stores it (to the hour, cut down): a deadline is then due at most an
    # hour early, never late, and its due time gives away no finer filing time.
    filed_at = student_time(filing.reports.clock())
    school = filing.directory.organization(draft.school)
    new = NewReport(
        org_id=chosen.organization.id,
        phase=draft.phase,
        grounds=tuple(sorted(draft.grounds)),
        when_bucket=draft.when,
        wants=draft.wants,
        visibility=draft.visibility,
        urgent=chosen.urgent,
        content=content_of(draft, push_target),
        recipients=tuple(Recipient(a, k) for a, k in keys.items()),
        notify=notifications_for(chosen, filing.channels),
        level=school.level if school is not None and school.kind == "school" else None,
        workplace_org_id=_received(chosen, draft.workplace_org),
        deadlines=due_dates(filed_at, urgent=chosen.urgent, policy=filing.deadline_policy),
        sector=draft.sector or None,
        matching=matching_tags(filing, draft),
        channel=channel,
    )
    return await filing.reports.file(new, receipt=receipt, also=also)


def matching_tags(filing: Filing, draft: Draft) -> tuple[Tag, ...]:
    """Keyed hashes of the company the student named, only when they said yes to
    matching: the normalised name, and the KvK number they typed or their pick's."""
    if filing.matching is None or not draft.pattern_consent:
        return ()
    picked = filing.directory.organization(draft.workplace_org) if draft.workplace_org else None
    kvk = draft.workplace_kvk or (picked.kvk if picked is not None else None) or ""
    values = [("name", normalize_company(draft.workplace)), ("kvk", normalize_kvk(kvk) or "")]
    return tuple(
        (key_id, kind, tag)
        for kind, value in values
        if value
        for key_id, tag in filing.matching.tags(kind, value)
    )


def _received(chosen: Route, org_id: str) -> str | None:
    """A known workplace is plaintext only when it received the report itself; otherwise
    the student's pick stays inside the encrypted content like a typed name."""
    return org_id if any(o.id == org_id for o in chosen.organizations) else None


def facts_of(draft: Draft) -> Facts:
    return Facts(
        school=draft.school,
        visibility=draft.visibility,
        phase=draft.phase,
        wants=draft.wants,
        safety="yes" if draft.danger else "threat" if draft.threat else "no",
        recognised=draft.recognised,
        workplace_org=draft.workplace_org,
        text="\n".join((draft.story, draft.workplace, draft.evidence_note)),
    )


def content_of(draft: Draft, push_target: str = "") -> dict[str, str]:
    content = {
        "story": draft.story,
        "workplace": draft.workplace,
        "evidence": draft.evidence,
        "evidence_note": draft.evidence_note,
        "school_choice": draft.school,
        "lang": draft.lang,
        "danger": "yes" if draft.danger else "no",
        "threat": "yes" if draft.threat else "no",
        "workplace_org": draft.workplace_org,
        "recognised": draft.recognised,
        "workplace_town": draft.workplace_town,
        "workplace_kvk": draft.workplace_kvk,
        "pattern_consent": "yes" if draft.pattern_consent else "no",
    }
    if push_target:
        content["push_target"] = push_target
    return content


def notifications_for(chosen: Route, enabled: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """Every way each adviser can be reached that this service can deliver on."""
    return tuple((a.id, c) for a in chosen.advisers for c in a.channels if c in enabled)
