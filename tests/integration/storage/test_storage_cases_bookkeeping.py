"""Cases, the bookkeeping around an adviser's actions: opening is not acknowledging, a
student's reply gets its own deadline, an organization added reads and hands back, the
audit keeps its order, and a refused change leaves no trace."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.crypto.keys import KeyStore
from storage.db.models import (
    Deadline,
    Message,
    Notification,
    Report,
)
from storage.repositories import audit
from storage.repositories.cases import CaseRefused
from storage.repositories.reports import NewReport, Recipient
from tests.support import storage_backends
from tests.support.case_helpers import enrol, file_for, login
from tests.support.case_world import World
from tests.support.storage_backends import Backend

backend = storage_backends.backend
keys = storage_backends.keys


# --- acknowledging, students' replies, hand-overs and the audit's order -----------------


async def _events(backend: Backend, report_id: str) -> list[str | None]:
    async with backend.sessions() as session:
        rows = await session.scalars(
            select(Message.event)
            .where(Message.report_id == report_id, Message.author_kind == "event")
            .order_by(Message.created_at)
        )
        return list(rows)


async def _audit(backend: Backend, report_id: str) -> list[tuple[str, str, str | None]]:
    async with backend.sessions() as session:
        return [(e.action, e.detail, e.org_id) for e in await audit.for_report(session, report_id)]


async def test_opening_does_not_acknowledge_the_explicit_action_does(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    from storage.repositories.student import StudentSide

    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    filed = await w.reports.file(
        NewReport(
            org_id="hhs", phase="during", grounds=("origin",), when_bucket="week",
            wants="talk", visibility="school", urgent=False,
            content={"story": "Verhaal", "push_target": "telegram:77:nl"},
            recipients=(Recipient("hhs-vp", hhs.public_key),),
            deadlines=(("acknowledge", w.clock() + timedelta(days=2)),),
        )
    )  # fmt: skip
    report_id = filed.report_id
    key = await login(w.accounts, hhs, w.clock())
    assert await w.cases.reading.open("hhs-vp", key, report_id) is not None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        deadline = await session.scalar(select(Deadline).where(Deadline.kind == "acknowledge"))
    assert report is not None and report.acknowledged_at is None and report.status == "received"
    assert deadline is not None and deadline.met_at is None

    w.clock.advance(timedelta(minutes=5))
    assert await w.cases.actions.acknowledge("hhs-vp", key, report_id) is None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        deadline = await session.scalar(select(Deadline).where(Deadline.kind == "acknowledge"))
    assert report is not None and report.acknowledged_at == w.clock()
    assert report.status == "in_progress"
    assert deadline is not None and deadline.met_at == w.clock()
    assert await _events(backend, report_id) == ["status_in_progress"]
    assert [a for a, *_ in await _audit(backend, report_id)] == ["view", "acknowledge"]
    assert w.news == ["telegram:77:nl"]
    seen = await StudentSide(backend.sessions, w.reports, w.clock).view(filed.receipt)
    assert seen is not None and seen.status == "in_progress"
    assert [e.event for e in seen.thread] == ["status_in_progress"]
    # Once is enough; nothing changes the second time.
    assert await w.cases.actions.acknowledge("hhs-vp", key, report_id) == CaseRefused(
        "already_acknowledged"
    )
    assert await _events(backend, report_id) == ["status_in_progress"]


async def test_a_students_reply_gets_its_own_deadline_met_by_the_answer(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    from storage.db.clock import student_time
    from storage.repositories.student import StudentSide

    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    student = StudentSide(
        backend.sessions, w.reports, w.clock, reply_due=lambda at: at + timedelta(days=3)
    )

    async def reply() -> Deadline | None:
        async with backend.sessions() as session:
            return await session.scalar(select(Deadline).where(Deadline.kind == "reply"))  # type: ignore[no-any-return]

    assert await reply() is None
    w.clock.advance(timedelta(hours=2))
    assert await student.answer(report_id, "Ik heb nog een vraag.")
    first = await reply()
    stored = student_time(w.clock())  # the student's act, to the hour
    assert first is not None and first.met_at is None and first.due_at >= stored
    due = first.due_at
    (summary,) = await w.cases.reading.list_for("hhs-vp")
    assert summary.reply_due() == due
    # A second message before the answer keeps the clock of the first.
    w.clock.advance(timedelta(hours=3))
    assert await student.answer(report_id, "Hallo?")
    again = await reply()
    assert again is not None and again.due_at == due and again.met_at is None
    # An internal note is no answer; a message to the student is.
    assert await w.cases.actions.write("hhs-vp", key, report_id, "bellen", internal=True) is None
    assert (await reply()).met_at is None  # type: ignore[union-attr]
    assert (
        await w.cases.actions.write("hhs-vp", key, report_id, "Ik bel je.", internal=False) is None
    )
    met = await reply()
    assert met is not None and met.met_at == w.clock()
    assert (await w.cases.reading.list_for("hhs-vp"))[0].reply_due() is None
    # The next message starts a new clock.
    w.clock.advance(timedelta(days=1))
    assert await student.answer(report_id, "Dank je.")
    fresh = await reply()
    assert fresh is not None and fresh.met_at is None and fresh.level == 0
    assert fresh.due_at > due


async def test_adding_an_organization_lets_both_read_and_the_added_one_hands_back(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    work = await enrol(w.accounts, "werk-vp", "gemeente-werkgever")
    report_id = await file_for(
        w.keys, w.reports, "hhs", [hhs], w.clock(), visibility="school_and_workplace",
        extra={"push_target": "telegram:77:nl"},
    )  # fmt: skip
    hhs_key = await login(w.accounts, hhs, w.clock())
    work_key = await login(w.accounts, work, w.clock())
    werk = [Recipient("werk-vp", work.public_key)]

    assert await w.cases.handovers.add("hhs-vp", hhs_key, report_id, "hhs", werk) == CaseRefused(
        "same_org"
    )
    added = await w.cases.handovers.add(
        "hhs-vp", hhs_key, report_id, "gemeente-werkgever", werk, [("werk-vp", "email")]
    )
    assert added is None
    assert await w.cases.reading.open("werk-vp", work_key, report_id) is not None
    assert await w.cases.reading.open("hhs-vp", hhs_key, report_id) is not None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        notices = [(n.kind, n.adviser_id) for n in await session.scalars(select(Notification))]
    assert report is not None and report.org_id == "hhs" and report.filed_org_id == "hhs"
    assert notices == [("handed_over", "werk-vp")]
    again = await w.cases.handovers.add("hhs-vp", hhs_key, report_id, "gemeente-werkgever", werk)
    assert again == CaseRefused("already_reads")
    # The report's own organization has nothing to hand back.
    assert await w.cases.handovers.hand_back("hhs-vp", hhs_key, report_id) == CaseRefused(
        "nothing_to_hand_back"
    )

    assert await w.cases.handovers.hand_back("werk-vp", work_key, report_id) is None
    assert await w.cases.reading.open("werk-vp", work_key, report_id) is None
    assert await w.cases.reading.open("hhs-vp", hhs_key, report_id) is not None
    assert await _events(backend, report_id) == ["handover_org_added", "handed_back"]
    assert ("handover_org_added", "gemeente-werkgever", "hhs") in await _audit(backend, report_id)
    assert ("handed_back", "hhs", "gemeente-werkgever") in await _audit(backend, report_id)
    assert w.news == ["telegram:77:nl"] * 2


async def test_a_moved_report_is_handed_back_to_the_organization_that_moved_it(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    hhs2 = await enrol(w.accounts, "hhs-vp2", "hhs")
    work = await enrol(w.accounts, "werk-vp", "gemeente-werkgever")
    other = await enrol(w.accounts, "mondriaan-vp", "mondriaan")
    report_id = await file_for(
        w.keys, w.reports, "hhs", [hhs], w.clock(), visibility="school_and_workplace"
    )
    hhs_key = await login(w.accounts, hhs, w.clock())
    hhs2_key = await login(w.accounts, hhs2, w.clock())
    work_key = await login(w.accounts, work, w.clock())
    other_key = await login(w.accounts, other, w.clock())
    moved = await w.cases.handovers.move(
        "hhs-vp", hhs_key, report_id, "gemeente-werkgever", [Recipient("werk-vp", work.public_key)]
    )
    assert moved is None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
    assert report is not None and report.org_id == "gemeente-werkgever"
    assert (report.filed_org_id, report.handed_from_org_id) == ("hhs", "hhs")

    # Back to hhs: its advisers' keys count; one of another organization is left out.
    back = [
        Recipient("hhs-vp", hhs.public_key),
        Recipient("hhs-vp2", hhs2.public_key),
        Recipient("mondriaan-vp", other.public_key),
    ]
    assert await w.cases.handovers.hand_back("werk-vp", work_key, report_id, back) is None
    assert await w.cases.reading.open("werk-vp", work_key, report_id) is None
    assert await w.cases.reading.open("hhs-vp", hhs_key, report_id) is not None
    assert await w.cases.reading.open("hhs-vp2", hhs2_key, report_id) is not None
    assert await w.cases.reading.open("mondriaan-vp", other_key, report_id) is None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
    assert report is not None and report.org_id == "hhs"
    assert (report.filed_org_id, report.handed_from_org_id) == ("hhs", None)
    assert await _events(backend, report_id) == ["handover_org", "handed_back"]


async def test_handing_back_never_leaves_a_report_nobody_reads(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    work = await enrol(w.accounts, "werk-vp", "gemeente-werkgever")
    # Routed to the workplace only, while the school (its organization) has no adviser.
    report_id = await file_for(
        w.keys, w.reports, "hhs", [work], w.clock(), visibility="school_and_workplace"
    )
    work_key = await login(w.accounts, work, w.clock())
    assert await w.cases.handovers.hand_back("werk-vp", work_key, report_id) == CaseRefused(
        "last_reader"
    )
    assert await w.cases.reading.open("werk-vp", work_key, report_id) is not None


async def test_audit_entries_written_at_the_same_moment_keep_their_order(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """The clock stands still: every entry carries the same time, and the log still reads
    in the order things happened (by sequence number), in storage and on the page."""
    from escalation.console.present import audit_lines
    from escalation.console.texts import ConsoleTexts

    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    assert await w.cases.reading.open("hhs-vp", key, report_id) is not None
    assert await w.cases.actions.write("hhs-vp", key, report_id, "Notitie", internal=True) is None
    assert await w.cases.actions.acknowledge("hhs-vp", key, report_id) is None
    assert await w.cases.actions.write("hhs-vp", key, report_id, "Hallo", internal=False) is None
    assert await w.cases.actions.set_status("hhs-vp", key, report_id, "waiting") is None
    entries = await w.cases.reading.audit_entries("hhs-vp", report_id)
    assert entries is not None
    expected = ["view", "note", "acknowledge", "message", "status"]
    assert [e.action for e in entries] == expected
    assert len({e.at for e in entries}) == 1
    lines = audit_lines(list(reversed(entries)), ConsoleTexts("nl"), {}, {})
    assert [line.seq for line in lines] == sorted(e.seq for e in entries)
    assert [line.what for line in lines] == [
        "bekeken", "interne notitie", "ontvangst bevestigd", "bericht aan student",
        "status gewijzigd",
    ]  # fmt: skip


async def test_a_refused_change_leaves_no_trace(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Every change goes through one context manager: a refusal, at the door or inside,
    writes nothing (no audit entry, no event) and tells the student nothing."""
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    other = await enrol(w.accounts, "mondriaan-vp", "mondriaan")
    report_id = await file_for(
        w.keys, w.reports, "hhs", [hhs], w.clock(), extra={"push_target": "telegram:77:nl"}
    )
    hhs_key = await login(w.accounts, hhs, w.clock())
    other_key = await login(w.accounts, other, w.clock())
    before = await _audit(backend, report_id)
    own = [Recipient("hhs-vp", hhs.public_key)]

    refused = await w.cases.handovers.move("hhs-vp", hhs_key, report_id, "hhs", own)
    assert refused == CaseRefused("same_org")
    assert await w.cases.actions.acknowledge("mondriaan-vp", other_key, report_id) == (
        CaseRefused("not_found")
    )
    assert await w.cases.actions.set_status("hhs-vp", hhs_key, report_id, "received") == (
        CaseRefused("bad_status")
    )
    assert await _audit(backend, report_id) == before
    assert await _events(backend, report_id) == []
    assert w.news == []
