"""The student's side: the receipt reads the thread (never internal notes), answers and
files are sealed so that only the report's readers open them, and withdrawing works once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from storage.crypto import aead, hpke_seal, private_keys, proofs, sealed_content
from storage.crypto.keys import KeyStore
from storage.crypto.thread import FileContent, message_field, open_file
from storage.db.models import Attachment, Message, Notification, Report, ReportField, SealedKey
from storage.repositories import audit
from storage.repositories.reports import NewReport, ReportStore, report_private_key
from storage.repositories.student import StudentSide
from tests.support import storage_backends
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys
MARKER = "Antwoord-9f3b"


async def filed(b: Backend, keystore: KeyStore, clock: Clock) -> tuple[ReportStore, str, str]:
    store = ReportStore(b.sessions, keystore, clock=clock)
    new = NewReport(
        org_id="hhs",
        phase="during",
        grounds=("origin",),
        when_bucket="week",
        wants="talk",
        visibility="school",
        urgent=False,
        content={"story": "verhaal", "push_target": "telegram:5550002:nl"},
    )
    f = await store.file(new)
    return store, f.report_id, f.receipt


async def data_key(b: Backend, report_id: str, recovery_text: str) -> bytes:
    async with b.sessions() as session:
        sealed = await session.scalar(
            select(SealedKey.sealed).where(SealedKey.report_id == report_id)
        )
    assert sealed is not None
    return hpke_seal.open_key(
        sealed, private_keys.private_key_from_text(recovery_text), report_id=report_id
    )


async def adviser_writes(
    b: Backend, keystore: KeyStore, report_id: str, key: bytes, text: str, *, internal: bool
) -> None:
    """An adviser's message in the older scheme, as the service wrote it then (and
    proved at its first start since: `storage.repositories.proofs`)."""
    message_id = uuid.uuid4().hex
    blob = sealed_content.encrypt_field(
        key, text.encode(), report_id=report_id, field=message_field(message_id)
    )
    async with b.sessions() as session, session.begin():
        session.add(
            proofs.prove_message(
                keystore.server,
                Message(
                    id=message_id,
                    report_id=report_id,
                    author_kind="adviser",
                    author_id="hhs-vp",
                    internal=internal,
                    scheme="key",
                    ciphertext=blob,
                    created_at=Clock().now,
                ),
            )
        )


async def test_the_receipt_reads_the_thread_without_internal_notes(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store, report_id, receipt = await filed(backend, keys[0], clock)
    side = StudentSide(backend.sessions, store, clock=clock)
    assert await side.view("0000 0000 0000 0000") is None
    view = await side.view(receipt)
    assert view is not None and (view.status, view.thread) == ("received", ())

    key = await data_key(backend, report_id, keys[1])
    await adviser_writes(
        backend, keys[0], report_id, key, "Dank je, ik bel je school.", internal=False
    )
    await adviser_writes(
        backend, keys[0], report_id, key, "Interne notitie: bedrijf bekend", internal=True
    )
    clock.advance(timedelta(minutes=5))
    assert await side.answer(report_id, f"{MARKER} graag", notify=(("hhs-vp", "email"),))
    view = await side.view(receipt)
    assert view is not None
    assert [(e.author, e.text) for e in view.thread] == [
        ("adviser", "Dank je, ik bel je school."),
        ("student", f"{MARKER} graag"),
    ]
    async with backend.sessions() as session:
        kinds = (await session.scalars(select(Notification.kind))).all()
    assert kinds == ["student_message"]
    if backend.sqlite_path is not None:
        for path in backend.sqlite_path.parent.iterdir():
            assert MARKER.encode() not in path.read_bytes(), path


async def test_answers_and_files_open_only_for_the_reports_readers(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store, report_id, _ = await filed(backend, keys[0], clock)
    side = StudentSide(backend.sessions, store, clock=clock)
    assert await side.send_file(report_id, "screenshot.png", "photo", b"\x89PNG bytes")
    key = await data_key(backend, report_id, keys[1])
    async with backend.sessions() as session:
        attachment = await session.scalar(select(Attachment))
        private = await report_private_key(session, report_id, key)
    assert attachment is not None and private is not None
    assert open_file(attachment.sealed, private, report_id, attachment.id) == FileContent(
        "screenshot.png", "photo", b"\x89PNG bytes"
    )
    stranger, _ = hpke_seal.generate_keypair()
    try:
        hpke_seal.open_payload(
            attachment.sealed, stranger, report_id=report_id, purpose=attachment.id
        )
        raise AssertionError("a stranger's key opened the file")
    except aead.CryptoError:
        pass


async def test_the_thread_shows_a_sent_file_by_its_name(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store, report_id, receipt = await filed(backend, keys[0], clock)
    side = StudentSide(backend.sessions, store, clock=clock)
    assert await side.send_file(report_id, "whatsapp.png", "photo", b"img")
    view = await side.view(receipt)
    assert view is not None
    assert [(e.author, e.text, e.file) for e in view.thread] == [("student", "", "whatsapp.png")]


async def test_an_answer_takes_a_waiting_report_back_to_the_adviser(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store, report_id, _ = await filed(backend, keys[0], clock)
    async with backend.sessions() as session, session.begin():
        await session.execute(update(Report).values(status="waiting"))
    assert await StudentSide(backend.sessions, store, clock=clock).answer(report_id, "hier")
    async with backend.sessions() as session:
        assert await session.scalar(select(Report.status)) == "in_progress"


async def test_withdrawing_once_drops_the_push_address_and_closes_the_thread(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store, report_id, receipt = await filed(backend, keys[0], clock)
    side = StudentSide(backend.sessions, store, clock=clock)
    assert await side.withdraw(report_id)
    assert not await side.withdraw(report_id)
    assert not await side.answer(report_id, "nog iets")
    view = await side.view(receipt)
    assert view is not None and view.status == "withdrawn"
    assert [(e.author, e.event) for e in view.thread] == [("event", "withdrawn")]
    async with backend.sessions() as session:
        fields = set(
            await session.scalars(
                select(ReportField.field).where(ReportField.report_id == report_id)
            )
        )
    assert "push_target" not in fields and "story" in fields
    async with backend.sessions() as session:
        entries = await audit.for_report(session, report_id)
    assert [(e.actor, e.action, e.org_id) for e in entries] == [("student", "withdraw", "hhs")]
