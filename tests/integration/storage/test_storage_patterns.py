"""Company patterns in storage: keyed hashes, the release in the filing's transaction,
exactly once, also when two matching reports are filed at the same moment (SQLite and
PostgreSQL), and key rotation."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.crypto.keys import KeyStore
from storage.crypto.matching_keys import MatchingKeyError, MatchingKeys
from storage.db.engine import make_engine, session_factory
from storage.db.models import AuditEntry, Notification, Pattern, PatternMember, PatternTag
from storage.repositories import patterns
from storage.repositories.patterns import PatternPolicy, Tag
from storage.repositories.reports import NewReport, Recipient, ReportStore
from tests.support import storage_backends
from tests.support import storage_helpers as helpers
from tests.support.storage_backends import Backend, Clock
from vocabulary import normalize_company

backend = storage_backends.backend
keys = storage_backends.keys

POLICY = PatternPolicy(
    threshold=2,
    coordinators=("coord",),
    sbb=("sbb-vp",),
    channels={"anna": ("email",), "bram": ("email", "telegram"), "coord": ("email",)},
)


def tags_for(matching: MatchingKeys, name: str, kvk: str = "") -> tuple[Tag, ...]:
    found = [(k, "name", t) for k, t in matching.tags("name", normalize_company(name))]
    if kvk:
        found += [(k, "kvk", t) for k, t in matching.tags("kvk", kvk)]
    return tuple(found)


def report(
    tags: tuple[Tag, ...], recipients: tuple[Recipient, ...] = (), org: str = "hhs"
) -> NewReport:
    return NewReport(
        org_id=org,
        phase="during",
        grounds=("origin",),
        when_bucket="week",
        wants="talk",
        visibility="school",
        urgent=False,
        content={"story": "x"},
        recipients=recipients,
        matching=tags,
    )


async def count(b: Backend, model: type, *where: object) -> int:
    async with b.sessions() as session:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


@pytest.fixture
def matching(tmp_path: Path) -> MatchingKeys:
    return MatchingKeys.load(tmp_path / "keys")


async def test_two_spellings_form_one_pattern_and_notices_go_out_once(
    backend: Backend, keys: tuple[KeyStore, str], matching: MatchingKeys
) -> None:
    store = ReportStore(backend.sessions, keys[0], Clock(), patterns=POLICY)
    _, anna = await helpers.enrolled(store, "anna")
    _, bram = await helpers.enrolled(store, "bram")
    first = await store.file(report(tags_for(matching, "Albert Heijn B.V."), (anna,)))
    assert await count(backend, Pattern) == 0
    assert await count(backend, Notification, Notification.kind.like("pattern%")) == 0
    other = await store.file(report(tags_for(matching, "Jumbo Supermarkten"), (bram,)))
    second = await store.file(report(tags_for(matching, "albert  heijn bv"), (bram,), "inholland"))
    assert await count(backend, Pattern) == 1
    async with backend.sessions() as session:
        members = {
            r: p
            for r, p in (
                await session.execute(select(PatternMember.report_id, PatternMember.pattern_id))
            ).tuples()
        }
        notices = sorted(
            (n.kind, n.adviser_id, n.channel, n.report_id)
            for n in await session.scalars(
                select(Notification).where(Notification.kind.like("pattern%"))
            )
        )
        audit = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "pattern_release"))
        )
    assert set(members) == {first.report_id, second.report_id}
    assert other.report_id not in members
    assert notices == sorted(
        [
            ("pattern_match", "anna", "email", first.report_id),
            ("pattern_match", "bram", "email", second.report_id),
            ("pattern_match", "bram", "telegram", second.report_id),
            ("pattern_formed", "coord", "email", second.report_id),
        ]
    )
    assert len(audit) == 1 and audit[0].report_id == second.report_id
    # a third joins: one more round, the pattern stays one
    third = await store.file(report(tags_for(matching, "ALBERT HEIJN"), (anna,)))
    assert await count(backend, Pattern) == 1
    assert await count(backend, PatternMember) == 3
    assert await count(backend, AuditEntry, AuditEntry.action == "pattern_release") == 2
    assert await count(backend, Notification, Notification.report_id == third.report_id) == 2


async def test_kvk_number_alone_matches_and_no_consent_stores_nothing(
    backend: Backend, keys: tuple[KeyStore, str], matching: MatchingKeys
) -> None:
    store = ReportStore(backend.sessions, keys[0], Clock(), patterns=POLICY)
    await store.file(report(tags_for(matching, "AH", kvk="35012085")))
    await store.file(report(()))  # no consent: no hashes at all
    assert await count(backend, PatternTag) == 2  # name and kvk of the first
    await store.file(report(tags_for(matching, "Albert Heijn Zaandam", kvk="35012085")))
    assert await count(backend, Pattern) == 1
    assert await count(backend, PatternMember) == 2


async def test_matching_off_or_below_threshold_releases_nothing(
    backend: Backend, keys: tuple[KeyStore, str], matching: MatchingKeys
) -> None:
    off = ReportStore(backend.sessions, keys[0], Clock())
    await off.file(report(tags_for(matching, "Bakkerij Jansen")))
    await off.file(report(tags_for(matching, "Bakkerij Jansen")))
    assert await count(backend, PatternTag) == 0
    three = ReportStore(backend.sessions, keys[0], Clock(), patterns=PatternPolicy(threshold=3))
    await three.file(report(tags_for(matching, "Kapsalon Fatima")))
    await three.file(report(tags_for(matching, "kapsalon fatima")))
    assert await count(backend, Pattern) == 0
    await three.file(report(tags_for(matching, "Kapsalon Fatima V.O.F.")))
    assert await count(backend, PatternMember) == 3


def test_threshold_below_two_is_refused() -> None:
    with pytest.raises(ValueError):
        PatternPolicy(threshold=1)


async def test_two_matching_reports_filed_at_the_same_moment_form_one_pattern(
    backend: Backend,
    keys: tuple[KeyStore, str],
    matching: MatchingKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replicas (PostgreSQL: two engines) file at once. After looking for matches,
    each filing waits for the other to have looked too (at most a moment: with the lock
    the other cannot, it waits for this commit). Without the lock both would look before
    either committed, see nothing, and no pattern would form."""
    engines = [backend.engine]
    if backend.name == "postgresql":
        engines.append(make_engine(backend.url))
    stores = [ReportStore(session_factory(e), keys[0], Clock(), patterns=POLICY) for e in engines]
    looked = 0
    both_looked = asyncio.Event()
    original = patterns._matching_reports

    async def look_then_wait(*args: object) -> list[str]:
        nonlocal looked
        found = await original(*args)  # type: ignore[arg-type]
        looked += 1
        if looked == 2:
            both_looked.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_looked.wait(), 1.0)
        return found

    monkeypatch.setattr(patterns, "_matching_reports", look_then_wait)
    try:
        await asyncio.gather(
            stores[0].file(report(tags_for(matching, "HEMA B.V."))),
            stores[-1].file(report(tags_for(matching, "Hema"))),
        )
    finally:
        for extra in engines[1:]:
            await extra.dispose()
    assert looked == 2
    assert await count(backend, Pattern) == 1
    assert await count(backend, PatternMember) == 2
    assert await count(backend, AuditEntry, AuditEntry.action == "pattern_release") == 1
    assert await count(backend, Notification, Notification.kind == "pattern_formed") == 1


async def test_rotation_keeps_matching_until_the_old_key_is_retired(
    backend: Backend, keys: tuple[KeyStore, str], tmp_path: Path
) -> None:
    store = ReportStore(backend.sessions, keys[0], Clock(), patterns=PatternPolicy(threshold=3))
    old = MatchingKeys.load(tmp_path / "keys")
    await store.file(report(tags_for(old, "Bol.com")))
    new = old.rotate()
    assert new.ids == ("k1", "k2") and new.current.key_id == "k2"
    await store.file(report(tags_for(new, "bol com")))
    assert await count(backend, PatternTag, PatternTag.key_id == "k2") == 1
    with pytest.raises(MatchingKeyError):
        new.retire("k2")  # the newest stays
    retired = new.retire("k1")
    async with backend.sessions() as session, session.begin():
        assert await patterns.retire_tags(session, "k1") == 2
    assert retired.ids == ("k2",)
    assert not (tmp_path / "keys" / "matching" / "k1.key").exists()
    await store.file(report(tags_for(retired, "Bol.com")))
    assert await count(backend, Pattern) == 0  # the first report's hash went with k1
    assert oct((tmp_path / "keys" / "matching" / "k2.key").stat().st_mode & 0o777) == "0o600"


async def test_a_report_meeting_two_patterns_joins_the_older_one(
    backend: Backend, keys: tuple[KeyStore, str], matching: MatchingKeys
) -> None:
    clock = Clock()
    store = ReportStore(backend.sessions, keys[0], clock, patterns=POLICY)
    older = await store.file(report(tags_for(matching, "Garage Yilmaz")))
    await store.file(report(tags_for(matching, "garage yilmaz")))
    clock.advance(timedelta(days=1))
    await store.file(report(tags_for(matching, "Yilmaz Auto's", kvk="27123456")))
    await store.file(report(tags_for(matching, "Autobedrijf Y.", kvk="27123456")))
    assert await count(backend, Pattern) == 2
    both = await store.file(report(tags_for(matching, "Garage Yilmaz", kvk="27123456")))
    async with backend.sessions() as session:
        first = await patterns.pattern_of(session, older.report_id)
        joined = await patterns.pattern_of(session, both.report_id)
    assert joined == first and await count(backend, Pattern) == 2
