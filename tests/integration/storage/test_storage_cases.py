"""Cases: an adviser reaches exactly the reports sealed to them; actions keep the
follow-up bookkeeping and the audit log in the same transaction, and hand the student's
nudge to the in-memory queue after it commits;
a hand-over to another organization re-seals the key and takes it from the old one.
Acknowledging, deadlines, handing back and the audit's order: _bookkeeping.py."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.crypto import private_keys, thread
from storage.crypto.keys import KeyStore
from storage.db.models import (
    Attachment,
    Deadline,
    Message,
    Notification,
    Report,
    ReportField,
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


async def test_an_adviser_sees_and_opens_only_what_is_sealed_to_them(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    other = await enrol(w.accounts, "mondriaan-vp", "mondriaan")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    hhs_key = await login(w.accounts, hhs, w.clock())
    other_key = await login(w.accounts, other, w.clock())

    listed = await w.cases.reading.list_for("hhs-vp")
    assert [(c.id, c.status, c.grounds, c.phase) for c in listed] == [
        (report_id, "received", ("religion",), "interview")
    ]
    assert [d.kind for d in listed[0].deadlines] == ["acknowledge", "feedback"]
    assert await w.cases.reading.list_for("mondriaan-vp") == []

    view = await w.cases.reading.open("hhs-vp", hhs_key, report_id)
    assert view is not None and view.fields["story"] == "Ze lachten om mijn hoofddoek."
    assert "report_key" not in view.fields
    assert await w.cases.reading.open("mondriaan-vp", other_key, report_id) is None
    # Someone else's private key does not open hhs-vp's seal either.
    assert await w.cases.reading.open("hhs-vp", other_key, report_id) is None
    assert await w.cases.actions.write(
        "mondriaan-vp", other_key, report_id, "hoi", internal=False
    ) == (CaseRefused("not_found"))
    assert await w.cases.reading.audit_entries("mondriaan-vp", report_id) is None
    entries = await w.cases.reading.audit_entries("hhs-vp", report_id)
    assert entries is not None and [e.action for e in entries] == ["view"]


async def test_answering_acknowledges_gives_feedback_nudges_and_notes_stay_internal(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(
        w.keys, w.reports, "hhs", [hhs], w.clock(), extra={"push_target": "telegram:77:nl"}
    )
    key = await login(w.accounts, hhs, w.clock())
    assert await w.cases.actions.write(
        "hhs-vp", key, report_id, "   ", internal=False
    ) == CaseRefused("empty")
    assert (
        await w.cases.actions.write("hhs-vp", key, report_id, "Notitie: bellen", internal=True)
        is None
    )
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.acknowledged_at is None
    assert w.news == []  # a note is no news for the student

    w.clock.advance(timedelta(hours=1))
    assert (
        await w.cases.actions.write(
            "hhs-vp", key, report_id, "Dank voor je melding.", internal=False
        )
        is None
    )
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None
        assert report.acknowledged_at == w.clock() and report.first_feedback_at == w.clock()
        met = {d.kind: d.met_at for d in await session.scalars(select(Deadline))}
        assert met == {"acknowledge": w.clock(), "feedback": w.clock()}
        rows = (await session.scalars(select(Message).order_by(Message.created_at))).all()
    assert [(m.internal, m.scheme) for m in rows] == [(True, "key2"), (False, "key2")]
    assert all(b"Dank" not in (m.ciphertext or b"") for m in rows)
    assert w.news == ["telegram:77:nl"]

    view = await w.cases.reading.open("hhs-vp", key, report_id)
    assert view is not None
    assert [(e.author_kind, e.internal, e.text) for e in view.thread] == [
        ("adviser", True, "Notitie: bellen"),
        ("adviser", False, "Dank voor je melding."),
    ]
    assert "push_target" not in view.fields


async def test_student_messages_and_attachments_open_and_count_as_unread(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    async with backend.sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        assert report is not None and report.public_key is not None
        message_id = thread.new_id()
        session.add(
            thread.student_message(
                report.public_key, report_id, message_id, "Hier is de mail.", w.clock()
            )
        )
        await session.flush()
        session.add(
            Attachment(
                id="a1", report_id=report_id, message_id=message_id, created_at=w.clock(),
                sealed=thread.seal_file(
                    report.public_key, report_id, "a1",
                    thread.FileContent("mail.txt", "text/plain", b"Beste student"),
                ),
            )
        )  # fmt: skip
    assert [c.unread for c in await w.cases.reading.list_for("hhs-vp")] == [1]
    view = await w.cases.reading.open("hhs-vp", key, report_id)
    assert view is not None
    assert [e.text for e in view.thread] == ["Hier is de mail."]
    assert [(a.name, a.size) for a in view.attachments] == [("mail.txt", 13)]
    assert [c.unread for c in await w.cases.reading.list_for("hhs-vp")] == [0]
    file = await w.cases.reading.attachment("hhs-vp", key, report_id, "a1")
    assert file is not None and file.data == b"Beste student"
    other = await enrol(w.accounts, "mondriaan-vp", "mondriaan")
    other_key = await login(w.accounts, other, w.clock())
    assert await w.cases.reading.attachment("mondriaan-vp", other_key, report_id, "a1") is None


async def test_status_changes_and_closing_erase_the_push_target(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(
        w.keys, w.reports, "hhs", [hhs], w.clock(), extra={"push_target": "telegram:77:nl"}
    )
    key = await login(w.accounts, hhs, w.clock())
    assert await w.cases.actions.set_status("hhs-vp", key, report_id, "received") == CaseRefused(
        "bad_status"
    )
    assert await w.cases.actions.set_status("hhs-vp", key, report_id, "in_progress") is None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None and report.acknowledged_at == w.clock()
        assert report.first_feedback_at is None
    assert await w.cases.actions.set_status("hhs-vp", key, report_id, "closed") == CaseRefused(
        "outcome_needed"
    )
    assert await w.cases.actions.set_status("hhs-vp", key, report_id, "closed", "advised") is None
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        assert report is not None and (report.status, report.outcome) == ("closed", "advised")
        fields = set(await session.scalars(select(ReportField.field)))
        events = list(await session.scalars(select(Message.event).order_by(Message.created_at)))
    assert "push_target" not in fields and "story" in fields
    assert events == ["status_in_progress", "status_closed"]
    assert w.news == ["telegram:77:nl"] * 2
    assert await w.cases.actions.write("hhs-vp", key, report_id, "nog iets", internal=False) == (
        CaseRefused("closed")
    )


async def test_hand_over_to_another_organization_reseals_the_key(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    hhs2 = await enrol(w.accounts, "hhs-vp2", "hhs")
    work = await enrol(w.accounts, "werk-vp", "gemeente-werkgever")
    report_id = await file_for(
        w.keys, w.reports, "hhs", [hhs, hhs2], w.clock(), visibility="school_and_workplace"
    )
    hhs_key = await login(w.accounts, hhs, w.clock())
    hhs2_key = await login(w.accounts, hhs2, w.clock())
    work_key = await login(w.accounts, work, w.clock())
    assert await w.cases.reading.open("werk-vp", work_key, report_id) is None

    result = await w.cases.handovers.move(
        "hhs-vp", hhs_key, report_id, "gemeente-werkgever",
        [Recipient("werk-vp", work.public_key)], [("werk-vp", "email")],
    )  # fmt: skip
    assert result is None
    view = await w.cases.reading.open("werk-vp", work_key, report_id)
    assert view is not None and view.fields["story"] == "Ze lachten om mijn hoofddoek."
    assert await w.cases.reading.open("hhs-vp", hhs_key, report_id) is None
    assert await w.cases.reading.open("hhs-vp2", hhs2_key, report_id) is None
    assert await w.cases.reading.list_for("hhs-vp") == []
    async with backend.sessions() as session:
        report = await session.get(Report, report_id)
        notices = (await session.scalars(select(Notification))).all()
        events = list(await session.scalars(select(Message.event)))
    assert report is not None and report.org_id == "gemeente-werkgever"
    assert [(n.kind, n.adviser_id, n.channel) for n in notices] == [
        ("handed_over", "werk-vp", "email")
    ]
    assert events == ["handover_org"]
    # The recovery key still opens it.
    recovered = await w.reports.read_with_recovery(
        report_id, private_keys.private_key_from_text(keys[1])
    )
    assert recovered["story"] == "Ze lachten om mijn hoofddoek."


async def test_hand_over_to_a_colleague_adds_them(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    colleague = await enrol(w.accounts, "hhs-vp2", "hhs")
    hhs_key = await login(w.accounts, hhs, w.clock())
    colleague_key = await login(w.accounts, colleague, w.clock())
    assert await w.cases.reading.open("hhs-vp2", colleague_key, report_id) is None
    result = await w.cases.handovers.to_colleague(
        "hhs-vp", hhs_key, report_id, Recipient("hhs-vp2", colleague.public_key), ["telegram"]
    )
    assert result is None
    assert await w.cases.reading.open("hhs-vp2", colleague_key, report_id) is not None
    assert await w.cases.reading.open("hhs-vp", hhs_key, report_id) is not None
    async with backend.sessions() as session:
        verdict = await audit.verify(session, w.keys.server)
        actions = list(await session.scalars(select(audit.AuditEntry.action)))  # type: ignore[attr-defined]
    assert verdict.ok
    assert "handover_colleague" in actions and "login" in actions


async def test_the_student_side_and_the_console_read_each_other(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Same sealing conventions on both sides: what the student sends the adviser reads,
    what the adviser writes the student reads with the receipt, notes stay internal."""
    from storage.repositories.student import StudentSide

    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    filed = await w.reports.file(
        NewReport(
            org_id="hhs", phase="during", grounds=("origin",), when_bucket="week",
            wants="talk", visibility="school", urgent=False, content={"story": "Verhaal"},
            recipients=(Recipient("hhs-vp", hhs.public_key),),
        )
    )  # fmt: skip
    student = StudentSide(backend.sessions, w.reports, w.clock)
    assert await student.answer(filed.report_id, "Ik heb nog een vraag.")
    assert await student.send_file(filed.report_id, "foto.jpg", "image/jpeg", b"\xff\xd8jpeg")
    key = await login(w.accounts, hhs, w.clock())
    view = await w.cases.reading.open("hhs-vp", key, filed.report_id)
    assert view is not None
    assert "Ik heb nog een vraag." in [e.text for e in view.thread]
    assert [(a.name, a.media_type) for a in view.attachments] == [("foto.jpg", "image/jpeg")]
    file = await w.cases.reading.attachment("hhs-vp", key, filed.report_id, view.attachments[0].id)
    assert file is not None and file.data == b"\xff\xd8jpeg"
    w.clock.advance(timedelta(minutes=1))
    assert (
        await w.cases.actions.write("hhs-vp", key, filed.report_id, "Intern", internal=True) is None
    )
    assert (
        await w.cases.actions.write("hhs-vp", key, filed.report_id, "Bel me", internal=False)
        is None
    )
    seen = await student.view(filed.receipt)
    assert seen is not None
    texts = [e.text for e in seen.thread]
    assert "Bel me" in texts and "Intern" not in texts
