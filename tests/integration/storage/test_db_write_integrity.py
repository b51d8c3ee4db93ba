"""Write access to the database alone (no keys.dir): what it changes is noticed, not
believed.

The attacker here runs plain SQL against the live database: swaps a stored public key
for their own, flips a message's flags, cuts the audit chain's tail and rewrites its
head row. Afterwards nothing sealed is readable with the attacker's key, nothing flipped
is shown as if it were genuine, and the cut tail is named.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select, update

from storage.crypto import aead, hpke_seal, server_key
from storage.crypto.audit_anchor import read as read_anchor
from storage.crypto.keys import KeyStore
from storage.crypto.sealed_keys import KeyNotAuthentic
from storage.db.models import AdviserKey, AuditEntry, AuditHead, Message, Report, SealedKey
from storage.repositories import audit
from storage.repositories.accounts import Accounts
from storage.repositories.advisers import AdviserKeys
from storage.repositories.cases import Cases
from storage.repositories.reports import NewReport, Recipient, ReportStore
from storage.repositories.student import StudentSide
from tests.support import storage_backends
from tests.support.case_helpers import enrol, file_for, login
from tests.support.storage_backends import Backend, Clock
from tests.support.storage_helpers import enrolled

backend = storage_backends.backend
keys = storage_backends.keys


def new_report(*recipients: Recipient, story: str = "mijn verhaal") -> NewReport:
    return NewReport(
        org_id="hhs",
        phase="during",
        grounds=("origin",),
        when_bucket="week",
        wants="talk",
        visibility="school",
        urgent=False,
        content={"story": story},
        recipients=recipients,
    )


async def _opens_with(backend: Backend, report_id: str, private: X25519PrivateKey) -> list[bytes]:
    """Every sealed copy of that report the given private key opens."""
    opened = []
    async with backend.sessions() as session:
        rows = await session.scalars(select(SealedKey).where(SealedKey.report_id == report_id))
        for row in rows:
            with contextlib.suppress(aead.CryptoError):
                opened.append(hpke_seal.open_key(row.sealed, private, report_id=report_id))
    return opened


async def test_a_swapped_adviser_key_is_never_sealed_to(
    backend: Backend, keys: tuple[KeyStore, str], caplog: pytest.LogCaptureFixture
) -> None:
    """`adviser_keys.public_key` swapped for an attacker's key with plain SQL (alone, or
    together with another adviser's MAC) — the next report is not sealed to it: the
    adviser is refused as a recipient (logged), the attacker's key opens nothing, and
    the report still reaches the recovery key and the untouched adviser."""
    store = ReportStore(backend.sessions, keys[0])
    advisers = AdviserKeys(backend.sessions, keys[0].server)
    _, anna = await enrolled(store, "anna")
    bram_private, bram = await enrolled(store, "bram")
    attacker_private, attacker_public = hpke_seal.generate_keypair()
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(AdviserKey)
            .where(AdviserKey.adviser_id == "anna")
            .values(public_key=attacker_public)
        )
    caplog.set_level(logging.ERROR)

    # What filing reads: anna's swapped key is not handed out at all.
    assert await advisers.public_keys(["anna", "bram"]) == {"bram": bram.public_key}
    assert "KeyNotAuthentic" in caplog.text and "anna" in caplog.text
    # A caller that read the key before: storage checks again in the transaction.
    filed = await store.file(new_report(Recipient("anna", attacker_public), bram))
    assert await _opens_with(backend, filed.report_id, attacker_private) == []
    async with backend.sessions() as session:
        readers = set(
            await session.scalars(
                select(SealedKey.recipient_id).where(SealedKey.report_id == filed.report_id)
            )
        )
    assert readers == {"bram", "recovery"}
    assert len(await _opens_with(backend, filed.report_id, bram_private)) == 1

    # Another adviser's genuine key and MAC copied onto anna's row: bound to bram.
    async with backend.sessions() as session, session.begin():
        row = await session.get(AdviserKey, "bram")
        assert row is not None
        await session.execute(
            update(AdviserKey)
            .where(AdviserKey.adviser_id == "anna")
            .values(public_key=attacker_public, key_mac=row.key_mac)
        )
    assert "anna" not in await advisers.public_keys(["anna"])
    again = await store.file(new_report(Recipient("anna", attacker_public)))
    assert await _opens_with(backend, again.report_id, attacker_private) == []
    # anna's original, untouched row is what was lost: nothing else was sealed to anna.
    assert anna.adviser_id == "anna"


async def test_a_swapped_report_key_refuses_the_students_answer(
    backend: Backend, keys: tuple[KeyStore, str], caplog: pytest.LogCaptureFixture
) -> None:
    """`reports.public_key` swapped for an attacker's key with plain SQL — the student's
    next answer and file are refused (KeyNotAuthentic, logged without the report's id),
    nothing is sealed to the attacker's key."""
    clock = Clock()
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    student = StudentSide(backend.sessions, store, clock=clock)
    filed = await store.file(new_report())
    other = await store.file(new_report())
    assert await student.answer(filed.report_id, "een eerste antwoord")
    attacker_private, attacker_public = hpke_seal.generate_keypair()
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(Report).where(Report.id == filed.report_id).values(public_key=attacker_public)
        )
    caplog.set_level(logging.ERROR)
    with pytest.raises(KeyNotAuthentic):
        await student.answer(filed.report_id, "geheim antwoord")
    with pytest.raises(KeyNotAuthentic):
        await student.send_file(filed.report_id, "bewijs.png", "image/png", b"\x89PNG")
    assert "KeyNotAuthentic" in caplog.text and filed.report_id not in caplog.text

    # Another report's genuine key and MAC copied over: bound to that report's id.
    async with backend.sessions() as session, session.begin():
        source = await session.get(Report, other.report_id)
        assert source is not None
        await session.execute(
            update(Report)
            .where(Report.id == filed.report_id)
            .values(public_key=source.public_key, key_mac=source.key_mac)
        )
    with pytest.raises(KeyNotAuthentic):
        await student.answer(filed.report_id, "nog een geheim antwoord")

    async with backend.sessions() as session:
        messages = (
            await session.scalars(select(Message).where(Message.report_id == filed.report_id))
        ).all()
    assert len(messages) == 1  # the answer before the swap, and nothing after it
    for row in messages:
        assert row.ciphertext is not None
        with pytest.raises(aead.CryptoError):
            hpke_seal.open_message(
                row.ciphertext,
                attacker_private,
                report_id=filed.report_id,
                message_id=row.id,
                binding=(row.scheme, "student", "", "shown", ""),
            )


async def test_a_flipped_note_is_never_shown_to_the_student(
    backend: Backend, keys: tuple[KeyStore, str], caplog: pytest.LogCaptureFixture
) -> None:
    """An adviser's internal note made visible (`internal` flipped with SQL), or its
    author or scheme changed — the student's view leaves it out, and the console flags
    it as altered instead of showing it as genuine."""
    clock = Clock()
    keystore = keys[0]
    accounts = Accounts(backend.sessions, keystore, clock)
    reports = ReportStore(backend.sessions, keystore, clock)
    cases = Cases(backend.sessions, keystore.server, clock)
    student = StudentSide(backend.sessions, reports, clock=clock)
    hhs = await enrol(accounts, "hhs-vp", "hhs")
    filed_id = await file_for(keystore, reports, "hhs", [hhs], clock())
    key = await login(accounts, hhs, clock())
    # the receipt: file_for keeps it to itself, so file one more the student can open
    filed = await reports.file(new_report(Recipient("hhs-vp", hhs.public_key)))
    del filed_id
    note = "NOTITIE: de student klinkt onbetrouwbaar"
    assert await cases.actions.write("hhs-vp", key, filed.report_id, note, internal=True) is None
    assert (
        await cases.actions.write("hhs-vp", key, filed.report_id, "Dank je.", internal=False)
        is None
    )
    async with backend.sessions() as session:
        note_id = await session.scalar(select(Message.id).where(Message.internal.is_(True)))
    assert note_id is not None

    async def student_texts() -> list[str]:
        view = await student.view(filed.receipt)
        assert view is not None
        return [item.text for item in view.thread]

    assert await student_texts() == ["Dank je."]
    caplog.set_level(logging.ERROR)
    for change in (
        {"internal": False},
        {"internal": False, "author_kind": "student", "author_id": None},
        {"internal": False, "scheme": "key"},  # a downgrade to the unbound scheme
        {"internal": False, "scheme": "hpke2", "author_kind": "student", "author_id": None},
    ):
        async with backend.sessions() as session, session.begin():
            await session.execute(update(Message).where(Message.id == note_id).values(**change))
        assert note not in await student_texts(), change
        assert await student_texts() == ["Dank je."], change
        view = await cases.reading.open("hhs-vp", key, filed.report_id)
        assert view is not None
        flagged = [item for item in view.thread if item.id == note_id]
        assert [(i.tampered, i.text) for i in flagged] == [(True, None)], change
        async with backend.sessions() as session, session.begin():
            await session.execute(
                update(Message)
                .where(Message.id == note_id)
                .values(
                    internal=True,
                    author_kind="adviser",
                    author_id="hhs-vp",
                    scheme="key2",
                )
            )
    assert "ThreadTampered" in caplog.text
    # Put back as it was, the note opens again — for the advisers only.
    view = await cases.reading.open("hhs-vp", key, filed.report_id)
    assert view is not None
    assert [(i.internal, i.text, i.tampered) for i in view.thread if i.id == note_id] == [
        (True, note, False)
    ]


async def _append(backend: Backend, server: server_key.ServerKey, n: int) -> None:
    clock = Clock()
    for i in range(n):
        async with backend.sessions() as session, session.begin():
            await audit.append(
                session, server, at=clock(), actor="hhs-vp", action="view", report_id=f"r{i}"
            )


async def test_a_cut_tail_with_a_rewritten_head_row_is_detected(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """The last two audit entries deleted and `audit_head` rewritten to match the new
    end, with plain SQL — the chain is consistent within the database, but not with the
    head anchored in keys.dir: verify names the cut, and so does the check the
    coordinators' page makes."""
    server = keys[0].server
    await _append(backend, server, 6)
    anchor = read_anchor(server)
    assert anchor is not None and anchor.seq == 6
    assert (keys[0].dir / "audit.head").stat().st_mode & 0o777 == 0o600
    async with backend.sessions() as session:
        ok = await audit.verify(session, server)
        head = await audit.check_anchor(session, server)
    assert ok.ok and ok.anchor is not None and ok.anchor.head_seq == 6
    assert head.ok and head.anchored_seq == 6

    async with backend.sessions() as session, session.begin():
        fourth = await session.get(AuditEntry, 4)
        assert fourth is not None
        await session.execute(delete(AuditEntry).where(AuditEntry.seq >= 5))
        await session.execute(update(AuditHead).values(seq=4, mac=fourth.mac))
    async with backend.sessions() as session:
        verdict = await audit.verify(session, server)
        check = await audit.check_anchor(session, server)
    assert (verdict.ok, verdict.reason, verdict.broken_seq, verdict.entries) == (
        False,
        "cut",
        5,
        4,
    )
    assert verdict.tail_cut
    assert (check.ok, check.reason, check.head_seq, check.anchored_seq) == (False, "cut", 4, 6)

    # The service goes on appending past the old seq: the anchor is not advanced over
    # the cut, so the evidence stays (the entry at seq 6 is not the anchored one).
    await _append(backend, server, 4)
    anchor = read_anchor(server)
    assert anchor is not None and anchor.seq == 6
    async with backend.sessions() as session:
        later = await audit.verify(session, server)
    assert (later.ok, later.reason, later.entries) == (False, "rewritten", 8)


async def test_a_rewritten_tail_entry_is_detected_against_the_anchor(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """A replacement for the anchored entry cannot carry its MAC; and an anchor that
    lags (a crash between commit and the anchor write) is no false alarm."""
    server = keys[0].server
    await _append(backend, server, 3)
    async with backend.sessions() as session, session.begin():
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(mac=bytes(32)))
        await session.execute(update(AuditHead).values(mac=bytes(32)))
    async with backend.sessions() as session:
        check = await audit.check_anchor(session, server)
    assert (check.ok, check.reason) == (False, "rewritten")


async def test_the_anchor_is_written_after_commit_only_and_checked_by_mac(
    backend: Backend, keys: tuple[KeyStore, str], tmp_path: Path
) -> None:
    """A rolled-back append anchors nothing; an anchor edited without the server key is
    refused (anchor_bad), never believed."""
    server = keys[0].server
    await _append(backend, server, 2)
    with pytest.raises(RuntimeError):
        async with backend.sessions() as session, session.begin():
            await audit.append(session, server, at=Clock()(), actor="x", action="view")
            raise RuntimeError("rolled back")
    anchor = read_anchor(server)
    assert anchor is not None and anchor.seq == 2
    async with backend.sessions() as session:
        assert (await audit.check_anchor(session, server)).ok
    path = keys[0].dir / "audit.head"
    path.write_text(path.read_text().replace('"seq": 2', '"seq": 1'))
    async with backend.sessions() as session:
        check = await audit.check_anchor(session, server)
    assert (check.ok, check.reason) == (False, "anchor_bad")
