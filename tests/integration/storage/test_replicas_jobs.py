"""Background jobs run on every replica and still happen exactly once.

Each replica here has an engine of its own (its own connection pool, as a separate
process has) on one PostgreSQL database; the replicas run the deadline and outbox jobs
at the same moments, round after round, as `stagemeld run --workers N` or replicas on
several machines do. The compare-and-set claims must let each escalation step and each
notice happen once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from escalation.casework.deadlines import DeadlinePolicy, due_dates, escalate_due
from escalation.casework.directory import Adviser, Directory, Organization
from escalation.casework.notify import Notice, deliver_due
from storage.crypto.keys import KeyStore
from storage.db.engine import make_engine, migrate, session_factory
from storage.db.models import Notification
from storage.repositories.deadlines import DeadlineStore
from storage.repositories.outbox import Outbox, PendingNotification
from storage.repositories.reports import NewReport, ReportStore
from tests.support import storage_backends
from tests.support.storage_backends import Clock, postgres_database
from tests.support.storage_helpers import enrolled

keys = storage_backends.keys

VP = Adviser("hhs-vp", "VP HHS", "hhs", email="vp@hhs.example.nl", telegram_chat_id=76)
COORD = Adviser("hhs-coord", "Coördinator HHS", "hhs", telegram_chat_id=77, role="coordinator")
NET = Adviser("net-coord", "Netwerk", "net", email="n@example.nl", telegram_chat_id=78)
DIRECTORY = Directory(
    (
        Organization("hhs", "De Haagse Hogeschool", "school", "hbo", (VP, COORD)),
        Organization("net", "Gemeente", "network", None, (NET,)),
    )
)
POLICY = DeadlinePolicy(escalate_every=timedelta(hours=24))
REPLICAS = 3
REPORTS = 8


@pytest.fixture
async def engines() -> AsyncIterator[list[AsyncEngine]]:
    async with postgres_database() as url:
        engines = [make_engine(url) for _ in range(REPLICAS)]
        try:
            await migrate(engines[0])
            yield engines
        finally:
            for engine in engines:
                await engine.dispose()


async def test_replicas_racing_the_deadline_and_outbox_jobs_do_each_step_once(
    engines: list[AsyncEngine], keys: tuple[KeyStore, str]
) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, tzinfo=UTC))  # a Monday
    first = session_factory(engines[0])
    store = ReportStore(first, keys[0], clock=clock)
    _, vp = await enrolled(store, "hhs-vp")
    for _ in range(REPORTS):
        await store.file(
            NewReport(
                org_id="hhs", phase="during", grounds=("origin",), when_bucket="week",
                wants="talk", visibility="school", urgent=False, content={"story": "x"},
                recipients=(vp,), notify=(("hhs-vp", "telegram"),),
                deadlines=due_dates(clock(), urgent=False, policy=POLICY),
            )
        )  # fmt: skip
    sent: Counter[tuple[str, str, str]] = Counter()

    def sender(channel: str) -> object:
        async def send(adviser: Adviser, notice: Notice) -> None:
            await asyncio.sleep(0)  # let the other replicas run in between
            sent[(notice.subject, adviser.id, channel)] += 1

        return send

    def render(item: PendingNotification, _: Organization) -> Notice:
        return Notice(str(item.id), item.kind)  # one subject per stored notification

    senders = {"telegram": sender("telegram"), "email": sender("email")}
    deadlines = [DeadlineStore(session_factory(e), keys[0].server, clock=clock) for e in engines]
    outboxes = [Outbox(session_factory(e), clock=clock) for e in engines]

    async def every_replica_at_once() -> None:
        await asyncio.gather(
            *(escalate_due(d, DIRECTORY, POLICY) for d in deadlines),
            *(deliver_due(o, DIRECTORY, senders, render, clock) for o in outboxes),  # type: ignore[arg-type]
        )

    await every_replica_at_once()  # the new-report notices
    for _ in range(6):  # a day at a time: reminder, coordinator, network, for both deadlines
        clock.advance(timedelta(days=3))
        await every_replica_at_once()
        await every_replica_at_once()  # and their notices
    async with first() as session:
        stored = list(await session.scalars(select(Notification)))
    assert stored and all(n.state == "sent" for n in stored), Counter(n.state for n in stored)
    assert {int(subject) for subject, _, _ in sent} == {n.id for n in stored}  # every one …
    assert set(sent.values()) == {1}  # … sent once, not once per replica
    kinds = Counter(n.kind for n in stored)
    # two deadlines, the adviser on two channels; all three levels reached
    assert kinds["new_report"] == REPORTS and kinds["reminder"] == 2 * 2 * REPORTS
    assert kinds["escalated_network"] > 0
