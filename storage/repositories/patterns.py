"""Company patterns: reports whose students consented, naming the same company.

Filing side (`match_new_report`, in the report's own transaction): the report's keyed
hashes (`matching.MatchingKey`, never a name) are stored; every other live report with an
equal hash is a match. Once `threshold` reports match, they form a pattern; a later
match joins it. Each time — exactly once per new matching report — the release is
written with it: content-free notices to the advisers of every report in the pattern,
to the network's coordinators (and SBB's advisers where a report is mbo and the student
let the workplace and SBB see it), and an audit entry.

Two matching reports filed at the same moment: each filing first updates the one row of
`pattern_lock` (insert-if-absent, then update), a row lock on PostgreSQL and the write
lock on SQLite, so the second filing looks for matches only after the first committed
(PostgreSQL's read committed takes a new snapshot per statement). One pattern, one
round of notices.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import matching, proofs, server_key
from storage.crypto.sealed_keys import ADVISER
from storage.db.models import (
    Pattern,
    PatternLock,
    PatternMember,
    PatternName,
    PatternTag,
    Report,
    SealedKey,
)
from storage.db.upsert import insert_if_absent
from storage.repositories import audit
from storage.repositories.outbox import notification_rows

MIN_THRESHOLD = 2  # one report is one student's word: a pattern needs at least two
SHARE_WITH = ("network", "sbb")  # whom a student may let their adviser share the report with
_LOCK_ROW = 1

Tag = tuple[str, str, bytes]  # (key id, kind: name | kvk, keyed hash)


@dataclass(frozen=True)
class PatternPolicy:
    """Who is told of a release, and how: built from the config by the bot."""

    threshold: int = MIN_THRESHOLD
    coordinators: tuple[str, ...] = ()  # the network coordinators' adviser ids
    sbb: tuple[str, ...] = ()  # SBB's advisers
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # adviser → channels

    def __post_init__(self) -> None:
        if self.threshold < MIN_THRESHOLD:
            raise ValueError(f"a pattern needs at least {MIN_THRESHOLD} reports")


@dataclass(frozen=True)
class Release:
    pattern_id: str
    formed: bool  # a new pattern (False: the report joined one)
    members: tuple[str, ...]  # report ids, the new one included


async def match_new_report(
    session: AsyncSession,
    server: server_key.ServerKey,
    report_id: str,
    tags: Iterable[Tag],
    policy: PatternPolicy,
    now: datetime,
) -> Release | None:
    """In the filing's transaction, after the report's row: store its hashes, then
    release if it completes or joins a pattern. None when nothing is released."""
    own = tuple(dict.fromkeys(tags))
    if not own:
        return None
    session.add_all(
        PatternTag(report_id=report_id, key_id=k, kind=kind, tag=t) for k, kind, t in own
    )
    await session.flush()
    await _take_turn(session)
    matches = await _matching_reports(session, report_id, own)
    if not matches:
        return None
    joined = await _patterns_of(session, matches)
    loose = [r for r in matches if r not in joined]
    if joined:
        # Met by name in one pattern and by KvK number in another (rare): the oldest.
        pattern = await session.scalar(
            select(Pattern)
            .where(Pattern.id.in_(set(joined.values())))
            .order_by(Pattern.created_at, Pattern.id)
            .limit(1)
        )
        if pattern is None:  # a foreign key guarantees it; a bug otherwise
            raise AssertionError("a pattern member without its pattern")
        pattern_id, pattern.updated_at = pattern.id, now
        formed = False
    elif len(matches) + 1 >= policy.threshold:
        pattern_id = uuid.uuid4().hex
        session.add(Pattern(id=pattern_id, created_at=now, updated_at=now))
        await session.flush()
        formed = True
    else:
        return None
    session.add_all(_member(server, r, pattern_id, now) for r in (*loose, report_id))
    await session.flush()
    members = await pattern_members(session, pattern_id)
    await _notify(session, report_id, members, policy, now)
    org_id = await session.scalar(select(Report.org_id).where(Report.id == report_id))
    await audit.append(
        session,
        server,
        at=now,
        actor="system",
        action="pattern_release",
        report_id=report_id,
        org_id=org_id,
        detail=f"{pattern_id}:{'formed' if formed else 'joined'}:{len(members)}",
    )
    return Release(pattern_id, formed, members)


async def _take_turn(session: AsyncSession) -> None:
    await insert_if_absent(session, PatternLock, {"id": _LOCK_ROW, "turns": 0})
    await session.execute(
        update(PatternLock)
        .where(PatternLock.id == _LOCK_ROW)
        .values(turns=PatternLock.turns + 1)
        .execution_options(synchronize_session=False)
    )


async def _matching_reports(
    session: AsyncSession, report_id: str, own: tuple[Tag, ...]
) -> list[str]:
    """Live reports (not withdrawn, not erased) with an equal hash under the same key."""
    same = or_(
        *(
            and_(PatternTag.key_id == k, PatternTag.kind == kind, PatternTag.tag == t)
            for k, kind, t in own
        )
    )
    rows = await session.scalars(
        select(PatternTag.report_id)
        .join(Report, Report.id == PatternTag.report_id)
        .where(
            same,
            PatternTag.report_id != report_id,
            Report.withdrawn_at.is_(None),
            Report.erased_at.is_(None),
        )
        .distinct()
        .order_by(PatternTag.report_id)
    )
    return list(rows)


async def _patterns_of(session: AsyncSession, report_ids: list[str]) -> dict[str, str]:
    rows = await session.execute(
        select(PatternMember.report_id, PatternMember.pattern_id).where(
            PatternMember.report_id.in_(report_ids)
        )
    )
    return {r: p for r, p in rows.tuples()}


async def pattern_members(session: AsyncSession, pattern_id: str) -> tuple[str, ...]:
    rows = await session.scalars(
        select(PatternMember.report_id)
        .where(PatternMember.pattern_id == pattern_id)
        .order_by(PatternMember.joined_at, PatternMember.report_id)
    )
    return tuple(rows)


async def _notify(
    session: AsyncSession,
    report_id: str,
    members: tuple[str, ...],
    policy: PatternPolicy,
    now: datetime,
) -> None:
    """ "Another report names the same company" to the advisers of every member; "a
    pattern" to the coordinators (and SBB where a member is mbo and shared with it)."""
    holders = await session.execute(
        select(SealedKey.report_id, SealedKey.recipient_id).where(
            SealedKey.report_id.in_(members), SealedKey.recipient_kind == ADVISER
        )
    )
    by_report: dict[str, list[str]] = {}
    for member, adviser_id in holders.tuples():
        by_report.setdefault(member, []).append(adviser_id)
    for member in members:
        targets = _by_channel(sorted(by_report.get(member, [])), policy)
        session.add_all(notification_rows(member, targets, "pattern_match", now))
    overseers = list(policy.coordinators)
    if policy.sbb and await _any_for_sbb(session, members):
        overseers += policy.sbb
    session.add_all(
        notification_rows(report_id, _by_channel(overseers, policy), "pattern_formed", now)
    )


def _by_channel(advisers: Iterable[str], policy: PatternPolicy) -> list[tuple[str, str]]:
    return [(a, c) for a in advisers for c in policy.channels.get(a, ())]


async def _any_for_sbb(session: AsyncSession, members: tuple[str, ...]) -> bool:
    found = await session.scalar(
        select(Report.id)
        .where(
            Report.id.in_(members),
            Report.level == "mbo",
            Report.visibility == "school_and_workplace",
        )
        .limit(1)
    )
    return found is not None


async def pattern_of(session: AsyncSession, report_id: str) -> str | None:
    """The pattern a report is part of, if any (the adviser's marker, the student's
    status)."""
    found: str | None = await session.scalar(
        select(PatternMember.pattern_id).where(PatternMember.report_id == report_id)
    )
    return found


async def patterns_of(session: AsyncSession, report_ids: Iterable[str]) -> dict[str, str]:
    """report id → pattern id, for the reports that are in one (the adviser's list)."""
    ids = list(report_ids)
    return await _patterns_of(session, ids) if ids else {}


def _member(
    server: server_key.ServerKey, report_id: str, pattern_id: str, now: datetime
) -> PatternMember:
    """A report joining a pattern: nothing allowed yet, and the proof of that."""
    member = PatternMember(report_id=report_id, pattern_id=pattern_id, joined_at=now)
    member.share_allowed = ""
    proofs.prove_share(server, member)
    return member


async def allow_share(
    session: AsyncSession, server: server_key.ServerKey, report: Report, target: str, now: datetime
) -> bool:
    """The student lets their adviser share the report itself with `target` (network |
    sbb); audit-logged. False when the report is in no pattern."""
    if target not in SHARE_WITH:
        raise ValueError(f"share with one of {SHARE_WITH}")
    member = await session.get(PatternMember, report.id, with_for_update=True)
    if member is None:
        return False
    # What a writer put there is no consent of the student's: only what checks out stays.
    before = member.share_allowed if proofs.share_proven(server, member) else ""
    allowed = set(filter(None, before.split(","))) | {target}
    member.share_allowed = ",".join(sorted(allowed))
    proofs.prove_share(server, member)
    await audit.append(
        session,
        server,
        at=now,
        actor="student",
        action="pattern_share_allowed",
        report_id=report.id,
        org_id=report.org_id,
        detail=target,
    )
    return True


async def retire_tags(session: AsyncSession, key_id: str) -> int:
    """The hashes made with a retired matching key: gone with the key."""
    result = await session.execute(delete(PatternTag).where(PatternTag.key_id == key_id))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class PatternFigures:
    """One pattern as a coordinator sees it: counts only (the console suppresses the
    small ones), and the names advisers chose to share with this coordinator (sealed)."""

    id: str
    created_at: datetime
    updated_at: datetime
    reports: int
    schools: Mapping[str, int]
    phases: Mapping[str, int]
    grounds: Mapping[str, int]
    statuses: Mapping[str, int]
    names: tuple[tuple[str, bytes], ...]  # (report id, name sealed to this coordinator)


async def pattern_figures(
    session: AsyncSession, coordinator_id: str, *, sbb_only: bool = False
) -> list[PatternFigures]:
    """Every pattern (`sbb_only`: those with a report the student let SBB see)."""
    patterns = list(await session.scalars(select(Pattern).order_by(Pattern.created_at.desc())))
    out = []
    for pattern in patterns:
        rows = (
            await session.execute(
                select(Report.org_id, Report.phase, Report.grounds, Report.status, Report.id)
                .join(PatternMember, PatternMember.report_id == Report.id)
                .where(PatternMember.pattern_id == pattern.id)
            )
        ).all()
        if sbb_only and not await _any_for_sbb(session, tuple(r.id for r in rows)):
            continue
        names = await session.execute(
            select(PatternName.report_id, PatternName.sealed).where(
                PatternName.pattern_id == pattern.id, PatternName.recipient_id == coordinator_id
            )
        )
        out.append(
            PatternFigures(
                id=pattern.id,
                created_at=pattern.created_at,
                updated_at=pattern.updated_at,
                reports=len(rows),
                schools=Counter(r.org_id or "" for r in rows),
                phases=Counter(r.phase for r in rows),
                grounds=Counter(g for r in rows for g in r.grounds.split(",") if g),
                statuses=Counter(r.status for r in rows),
                names=tuple(names.tuples()),
            )
        )
    return out


async def share_name(
    session: AsyncSession,
    server: server_key.ServerKey,
    *,
    adviser_id: str,
    report: Report,
    pattern_id: str,
    name: str,
    coordinators: Iterable[tuple[str, bytes]],
    now: datetime,
) -> int:
    """An adviser who holds a report in the pattern shares the company's name (as the
    student typed it) with the coordinators: sealed to each, audit-logged. Returns how
    many new copies were written (0: shared with all of them before)."""
    have = set(
        await session.scalars(
            select(PatternName.recipient_id).where(
                PatternName.pattern_id == pattern_id, PatternName.report_id == report.id
            )
        )
    )
    written = 0
    for recipient_id, public_key in coordinators:
        if recipient_id in have:
            continue
        sealed = matching.seal_shared_name(
            name, public_key, pattern_id=pattern_id, report_id=report.id
        )
        session.add(
            PatternName(
                pattern_id=pattern_id,
                report_id=report.id,
                recipient_id=recipient_id,
                sealed=sealed,
                created_at=now,
            )
        )
        written += 1
    if written:
        await audit.append(
            session,
            server,
            at=now,
            actor=adviser_id,
            action="pattern_name_shared",
            report_id=report.id,
            org_id=report.org_id,
            detail=pattern_id,
        )
    return written
