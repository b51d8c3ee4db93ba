"""Deadlines: Dutch working days, the EU directive's caps, and escalation that takes each
step exactly once — across a restart and with two replicas racing."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.casework.deadlines import (
    DeadlinePolicy,
    add_working_days,
    due_dates,
    escalate_due,
    months_later,
)
from escalation.casework.directory import Adviser, Directory, Organization
from storage.crypto.keys import KeyStore
from storage.db.engine import make_engine, session_factory
from storage.db.models import Notification
from storage.repositories import audit
from storage.repositories.advisers import AdviserKeys
from storage.repositories.deadlines import DeadlineStore, mark_met
from storage.repositories.reports import NewReport, Recipient, ReportStore
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock
from tests.support.storage_helpers import enrolled

backend = storage_backends.backend
keys = storage_backends.keys

VP = Adviser("hhs-vp", "Vertrouwenspersoon HHS", "hhs", email="vp@hhs.example.nl")
COORD = Adviser("hhs-coord", "Coördinator HHS", "hhs", telegram_chat_id=77, role="coordinator")
NET = Adviser("net-coord", "Netwerk", "net", email="n@example.nl", telegram_chat_id=78)
DIRECTORY = Directory(
    (
        Organization("hhs", "De Haagse Hogeschool", "school", "hbo", (VP, COORD)),
        Organization("net", "Gemeente", "network", None, (NET,)),
    )
)
POLICY = DeadlinePolicy(escalate_every=timedelta(hours=24))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_working_days_skip_weekends_and_dutch_holidays() -> None:
    friday = at("2026-11-20T09:00")
    assert add_working_days(friday, 2) == at("2026-11-24T09:00")  # Mon, Tue
    before_kings_day = at("2026-04-24T10:00")  # Friday; Monday 27 April is King's Day
    assert add_working_days(before_kings_day, 1) == at("2026-04-28T10:00")
    christmas_eve = at("2026-12-24T08:00")  # Thursday; 25 and 26 are holidays
    assert add_working_days(christmas_eve, 1) == at("2026-12-28T08:00")


def test_the_directive_caps_whatever_is_configured() -> None:
    filed = at("2026-12-23T09:00")
    slow = DeadlinePolicy(acknowledge_working_days=5, feedback_working_days=80)
    due = dict(due_dates(filed, urgent=False, policy=slow))
    assert due["acknowledge"] == filed + timedelta(days=7)  # 5 working days would be later
    assert due["feedback"] == at("2027-03-23T09:00")  # 3 months, not 80 working days
    urgent = dict(due_dates(filed, urgent=True, policy=DeadlinePolicy()))
    assert urgent["acknowledge"] == filed + timedelta(hours=4)


def test_months_later_clamps_the_day() -> None:
    assert months_later(at("2026-11-30T12:00"), 3) == at("2027-02-28T12:00")
    assert months_later(at("2027-11-30T12:00"), 3) == at("2028-02-29T12:00")


async def file_one(b: Backend, keystore: KeyStore, clock: Clock) -> str:
    store = ReportStore(b.sessions, keystore, clock=clock)
    known = await AdviserKeys(b.sessions, keystore.server).public_keys(["hhs-vp"])
    if known:  # enrolled by an earlier call of this test
        adviser = Recipient("hhs-vp", known["hhs-vp"])
    else:
        _, adviser = await enrolled(store, "hhs-vp")
    new = NewReport(
        org_id="hhs",
        phase="during",
        grounds=("origin",),
        when_bucket="week",
        wants="talk",
        visibility="school",
        urgent=False,
        content={"story": "x"},
        recipients=(adviser,),
        deadlines=due_dates(clock(), urgent=False, policy=POLICY),
    )
    return (await store.file(new)).report_id


async def sent(sessions: async_sessionmaker[AsyncSession]) -> Counter[tuple[str, str, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(Notification).where(Notification.kind != "new_report"))
        return Counter((n.kind, n.adviser_id, n.channel) for n in rows)


async def test_each_step_exactly_once_across_a_restart(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock(at("2026-11-23T09:00"))  # a Monday
    report_id = await file_one(backend, keys[0], clock)
    store = DeadlineStore(backend.sessions, keys[0].server, clock=clock)
    assert await escalate_due(store, DIRECTORY, POLICY) == 0  # nothing is due yet

    clock.now = at("2026-11-25T09:01")  # acknowledge (2 working days) missed
    assert await escalate_due(store, DIRECTORY, POLICY) == 1
    assert await escalate_due(store, DIRECTORY, POLICY) == 0  # not again
    assert await sent(backend.sessions) == Counter({("reminder", "hhs-vp", "email"): 1})

    await backend.engine.dispose()  # the service stops ...
    engine = make_engine(backend.url)  # ... and starts again
    sessions = session_factory(engine)
    restarted = DeadlineStore(sessions, keys[0].server, clock=clock)
    try:
        assert await escalate_due(restarted, DIRECTORY, POLICY) == 0
        clock.advance(timedelta(hours=24))
        assert await escalate_due(restarted, DIRECTORY, POLICY) == 1
        clock.advance(timedelta(hours=24))
        assert await escalate_due(restarted, DIRECTORY, POLICY) == 1
        clock.advance(timedelta(days=30))  # feedback is overdue as well by now
        for _ in range(5):  # a step a day; after the third there is nothing left to do
            await escalate_due(restarted, DIRECTORY, POLICY)
            clock.advance(timedelta(hours=25))
        assert await sent(sessions) == Counter(
            {
                ("reminder", "hhs-vp", "email"): 2,  # acknowledge, then feedback
                ("escalated_org", "hhs-coord", "telegram"): 2,
                ("escalated_network", "net-coord", "email"): 2,
                ("escalated_network", "net-coord", "telegram"): 2,
            }
        )
        async with sessions() as session:
            entries = await audit.for_report(session, report_id)
            verdict = await audit.verify(session, keys[0].server)
    finally:
        await engine.dispose()
    assert [(e.actor, e.action, e.detail) for e in entries] == [
        ("system", "escalate", f"{kind} level {level}")
        for kind in ("acknowledge", "feedback")
        for level in (1, 2, 3)
    ]
    assert verdict.ok


async def test_a_met_deadline_stops_escalating(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock(at("2026-11-23T09:00"))
    report_id = await file_one(backend, keys[0], clock)
    async with backend.sessions() as session, session.begin():
        await mark_met(session, report_id, "acknowledge", clock())
    clock.now = at("2026-11-26T09:00")
    assert (
        await escalate_due(
            DeadlineStore(backend.sessions, keys[0].server, clock=clock), DIRECTORY, POLICY
        )
        == 0
    )
    assert await sent(backend.sessions) == Counter()


async def test_two_replicas_never_send_the_same_step_twice(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock(at("2026-11-23T09:00"))
    for _ in range(5):
        await file_one(backend, keys[0], clock)
    clock.now = at("2026-11-25T10:00")
    replicas = [DeadlineStore(backend.sessions, keys[0].server, clock=clock) for _ in range(3)]
    steps = await asyncio.gather(*(escalate_due(r, DIRECTORY, POLICY) for r in replicas))
    assert sum(steps) == 5
    assert await sent(backend.sessions) == Counter({("reminder", "hhs-vp", "email"): 5})
