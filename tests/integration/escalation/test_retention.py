"""Retention: advisers are warned once, then the content and every key that opens it go,
and the statistics columns stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from escalation.casework.directory import Adviser, Directory, Organization
from escalation.casework.retention import apply_retention
from storage.crypto import hpke_seal
from storage.crypto.keys import KeyStore
from storage.crypto.sealed_keys import orphan_counts
from storage.db.models import Message, Notification, Report, ReportField, SealedKey
from storage.repositories import audit
from storage.repositories.advisers import AdviserKeys
from storage.repositories.reports import NewReport, Recipient, ReportStore
from storage.repositories.retention import Retention
from storage.repositories.student import StudentSide
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock
from tests.support.storage_helpers import enrolled

backend = storage_backends.backend
keys = storage_backends.keys
VP = Adviser("hhs-vp", "VP", "hhs", email="vp@hhs.example.nl")
DIRECTORY = Directory((Organization("hhs", "HHS", "school", "hbo", (VP,)),))


async def rows(b: Backend, model: type, report_id: str) -> int:
    async with b.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(model).where(model.report_id == report_id)  # type: ignore[attr-defined]
        )
    return int(count or 0)


async def test_warned_once_then_erased_keeping_statistics(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    _, adviser = await enrolled(store, "hhs-vp")
    filed = await store.file(
        NewReport(
            org_id="hhs",
            phase="interview",
            grounds=("religion",),
            when_bucket="month",
            wants="advice",
            visibility="school",
            urgent=False,
            content={"story": "inhoud"},
            recipients=(adviser,),
        )
    )
    student = StudentSide(backend.sessions, store, clock=clock)
    await student.answer(filed.report_id, "nog een bericht")
    retention = Retention(
        backend.sessions, keys[0].server, timedelta(days=365), timedelta(days=14), clock=clock
    )
    assert await apply_retention(retention, DIRECTORY) == (0, 0)  # still open

    async with backend.sessions() as session, session.begin():
        await session.execute(update(Report).values(status="closed", closed_at=clock.now))
    clock.advance(timedelta(days=350))
    assert await apply_retention(retention, DIRECTORY) == (0, 0)  # 15 days left: too early
    clock.advance(timedelta(days=2))
    assert await apply_retention(retention, DIRECTORY) == (1, 0)
    assert await apply_retention(retention, DIRECTORY) == (0, 0)  # warned once
    async with backend.sessions() as session:
        kinds = (await session.scalars(select(Notification.kind))).all()
    assert kinds.count("retention_warning") == 1

    clock.advance(timedelta(days=14))
    assert await apply_retention(retention, DIRECTORY) == (0, 1)
    for model in (ReportField, SealedKey, Message, Notification):
        assert await rows(backend, model, filed.report_id) == 0, model
    async with backend.sessions() as session:
        report = await session.get(Report, filed.report_id)
    assert report is not None and report.erased_at == clock.now
    assert (report.receipt_lookup, report.receipt_wrapped_key, report.public_key) == (None,) * 3
    assert (report.org_id, report.phase, report.grounds, report.status) == (
        "hhs",
        "interview",
        "religion",
        "closed",
    )
    assert await student.view(filed.receipt) is None  # the code opens nothing any more
    assert await apply_retention(retention, DIRECTORY) == (0, 0)
    async with backend.sessions() as session:
        entries = await audit.for_report(session, filed.report_id)
        assert (await audit.verify(session, keys[0].server)).ok
    assert [(e.actor, e.action) for e in entries] == [
        ("student", "student_message"),
        ("system", "retention_warning"),
        ("system", "erase"),
    ]


def _new(**changes: object) -> NewReport:
    values: dict[str, object] = {
        "org_id": "hhs", "phase": "interview", "grounds": ("religion",), "when_bucket": "month",
        "wants": "advice", "visibility": "school", "urgent": False, "content": {"story": "x"},
    }  # fmt: skip
    values.update(changes)
    return NewReport(**values)  # type: ignore[arg-type]


async def test_an_orphan_is_erased_after_the_retention_period_though_nobody_closed_it(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """An orphan is not kept for ever: a report sealed to the recovery key alone can
    never be closed by an adviser; it is erased once it is older than the retention
    period. A report an enrolled adviser can read, still open, is kept."""
    clock = Clock()
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    _, public = hpke_seal.generate_keypair()
    await AdviserKeys(backend.sessions, keys[0].server, clock=clock).register(
        "hhs-vp", "hhs", public, b"blob"
    )
    orphan = await store.file(_new())  # nobody's: only the recovery key
    readable = await store.file(_new(recipients=(Recipient("hhs-vp", public),)))
    retention = Retention(
        backend.sessions, keys[0].server, timedelta(days=365), timedelta(days=14), clock=clock
    )
    clock.advance(timedelta(days=364))
    assert await apply_retention(retention, DIRECTORY) == (0, 0)
    clock.advance(timedelta(days=2))
    assert await apply_retention(retention, DIRECTORY) == (0, 1)
    for model in (ReportField, SealedKey):
        assert await rows(backend, model, orphan.report_id) == 0, model
        assert await rows(backend, model, readable.report_id) > 0, model
    async with backend.sessions() as session:
        erased = await session.get(Report, orphan.report_id)
        kept = await session.get(Report, readable.report_id)
        assert await orphan_counts(session) == {}
    assert erased is not None and erased.erased_at == clock.now and erased.status == "received"
    assert kept is not None and kept.erased_at is None
