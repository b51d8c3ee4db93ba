"""Less to see (security.md): ciphertext lengths do not tell coded answers apart, a
student's acts are stored to the hour, and no table holds a student's chat address next
to the news it announces.

Each test says what a disk copy must not learn; each fails on code that stores exact
sizes and times, or a chat address beside its news.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, inspect, select

from bot.app import wiring
from bot.app.container import build_container
from bot.app.settings import Settings
from bot.intake.filing import file_draft
from bot.intake.nudging import GiveUp, NudgeQueue, deliver_nudges
from bot.intake.reply_token import open_token
from dialogues import Command, Draft, Text
from escalation.casework.deadlines import due_dates
from storage.crypto import aead, ephemeral, hpke_seal, padding, sealed_content, server_key, thread
from storage.crypto.keys import KeyStore
from storage.db.clock import student_time
from storage.db.models import (
    Attachment,
    AuditEntry,
    Base,
    Deadline,
    Message,
    ProcessedUpdate,
    ReadMark,
    Report,
    ReportField,
    StatusAttempt,
)
from storage.repositories import audit
from storage.repositories.accounts import Accounts
from storage.repositories.attempts import StatusAttempts
from storage.repositories.cases import Cases
from storage.repositories.reports import NewReport, ReportStore
from storage.repositories.student import StudentSide
from storage.repositories.updates import UpdateLog
from tests.support import storage_backends
from tests.support.case_helpers import enrol, file_for, login
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys

AT = datetime(2026, 3, 4, 14, 37, 12, 123456, tzinfo=UTC)
HOUR = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
CHAT_ID = "5550001987"


# --- sizes -----------------------------------------------------------------------------


def test_pad_uses_fixed_buckets_and_unpad_is_strict() -> None:
    """A 4-byte length, then zeros up to 64/256/1024/4096, then 4096s."""
    for size, bucket in ((0, 64), (60, 64), (61, 256), (252, 256), (253, 1024), (1021, 4096)):
        padded = padding.pad(b"x" * size)
        assert len(padded) == bucket and padding.unpad(padded) == b"x" * size
    assert len(padding.pad(b"x" * 4093)) == 8192 and len(padding.pad(b"x" * 9000)) == 12288
    assert len(padding.pad(b"x" * 1000, coarse=True)) == 64 * 1024
    assert len(padding.pad(b"x" * 100_000, coarse=True)) == 128 * 1024
    assert len(padding.pad(b"x" * (10 * 1024 * 1024), coarse=True)) == 16 * 1024 * 1024
    good = padding.pad(b"ja")
    for bad in (good[:3], (1000).to_bytes(4, "big") + good[4:], good[:-1] + b"\x01"):
        with pytest.raises(aead.CryptoError):
            padding.unpad(bad)


def _file(store: ReportStore, school: str, danger: str) -> NewReport:
    return NewReport(
        org_id="hhs",
        phase="during",
        grounds=("origin",),
        when_bucket="week",
        wants="talk",
        visibility="school",
        urgent=danger == "yes",
        content={"story": "verhaal", "school_choice": school, "danger": danger},
    )


async def test_coded_answers_have_equal_ciphertext_lengths(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Two reports whose school answers differ in length, and yes vs no, give
    ciphertexts of the same length for that field."""
    store = ReportStore(backend.sessions, keys[0], clock=Clock())
    one = await store.file(_file(store, "hhs", "yes"))
    two = await store.file(_file(store, "hoornbeeck-college-amersfoort", "no"))
    async with backend.sessions() as session:
        rows = (await session.scalars(select(ReportField))).all()
    size = {(r.report_id, r.field): len(r.ciphertext) for r in rows}
    for field in ("school_choice", "danger", "story"):
        assert size[(one.report_id, field)] == size[(two.report_id, field)], field


def test_messages_and_files_are_padded() -> None:
    """A student's "ja" and "nee" seal to the same length, an adviser's short answers
    likewise, and two files of different sizes in one class too."""
    _, public = hpke_seal.generate_keypair()
    key = sealed_content.new_data_key()
    now = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

    def student(text: str) -> int:
        return len(thread.student_message(public, "r", "m", text, now).ciphertext or b"")

    def adviser(text: str) -> int:
        row = thread.adviser_message(key, "r", "vp", text, internal=False, now=now)
        return len(row.ciphertext or b"")

    assert student("ja") == student("nee, niet doen")
    assert adviser("ok") == adviser("Ik bel je morgen om tien uur.")
    small = thread.FileContent("a.jpg", "photo", b"\xff" * 70_000)
    large = thread.FileContent("screenshot-2026.png", "photo", b"\xff" * 120_000)
    assert len(thread.seal_file(public, "r", "a1", small)) == len(
        thread.seal_file(public, "r", "a2", large)
    )


def test_blobs_sealed_before_padding_still_open() -> None:
    """Rows written before padding open as they were; a padded blob never passes for an
    unpadded one (its label differs), so a downgrade changes nothing."""
    key = sealed_content.new_data_key()
    aad = aead.associated_data("field", "r1", "story")
    nonce = os.urandom(12)
    old = nonce + AESGCM(key).encrypt(nonce, b"oud verhaal", aad)
    assert sealed_content.decrypt_field(key, old, report_id="r1", field="story") == b"oud verhaal"
    with pytest.raises(aead.CryptoError):
        sealed_content.decrypt_field(key, old, report_id="r1", field="workplace")
    new = sealed_content.encrypt_field(key, b"nieuw", report_id="r1", field="story")
    with pytest.raises(InvalidTag):  # not under the old label
        AESGCM(key).decrypt(new[:12], new[12:], aad)

    private, public = hpke_seal.generate_keypair()
    recipient = X25519PublicKey.from_public_bytes(public)
    info = aead.associated_data("payload", "r1", "m1")
    old_payload = hpke_seal.SUITE.encrypt(b"oud antwoord", recipient, info=info)
    opened = hpke_seal.open_payload(old_payload, private, report_id="r1", purpose="m1")
    assert opened == b"oud antwoord"

    server = server_key.ServerKey(b"k" * 32)
    value_aad = aead.associated_data("value", "totp:hhs-vp")
    old_value = aead.seal(server._value, b"SECRET", value_aad)
    assert server.open_value(old_value, purpose="totp:hhs-vp") == b"SECRET"
    assert len(server.seal_value(b"1", purpose="p")) == len(
        server.seal_value(b"22222", purpose="p")
    )


# --- times -----------------------------------------------------------------------------


def test_student_time_cuts_to_the_hour_and_keeps_the_order() -> None:
    """The hour, cut down; never before what the report already holds."""
    assert student_time(AT) == HOUR
    after = datetime(2026, 3, 4, 14, 20, 5, tzinfo=UTC)
    assert student_time(AT, after=after) == after + timedelta(microseconds=1)
    assert student_time(AT, after=HOUR - timedelta(minutes=1)) == HOUR


async def test_filing_answering_and_withdrawing_are_stored_to_the_hour(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Filing at 14:37:12.123456 stores 14:00:00; the student's answer, file, withdrawal
    and their audit entries likewise."""
    clock = Clock(AT)
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    filed = await store.file(_file(store, "hhs", "no"))
    side = StudentSide(backend.sessions, store, clock=clock)
    clock.advance(timedelta(minutes=5))  # 14:42:12.123456
    assert await side.answer(filed.report_id, "nog iets", notify=(("hhs-vp", "email"),))
    assert await side.send_file(filed.report_id, "foto.jpg", "photo", b"img")
    assert await side.withdraw(filed.report_id)
    async with backend.sessions() as session:
        report = await session.get(Report, filed.report_id)
        messages = (await session.scalars(select(Message).order_by(Message.created_at))).all()
        files = (await session.scalars(select(Attachment))).all()
        entries = (await session.scalars(select(AuditEntry))).all()
    assert report is not None and report.created_at == HOUR
    # Each act after the filing lands a microsecond after the last: order, no more.
    tick = timedelta(microseconds=1)
    assert [m.created_at for m in messages] == [HOUR + tick, HOUR + 2 * tick, HOUR + 3 * tick]
    assert [m.event for m in messages] == [None, None, "withdrawn"]
    assert files[0].created_at == HOUR + 2 * tick
    assert report.updated_at == report.withdrawn_at == HOUR + 3 * tick
    assert [(e.actor, e.at) for e in entries] == [
        ("student", HOUR + tick),
        ("student", HOUR + 2 * tick),
        ("student", HOUR + 3 * tick),
    ]
    async with backend.sessions() as session:
        assert (await audit.verify(session, keys[0].server)).ok


async def test_an_answer_after_an_advisers_read_stays_unread_and_in_order(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """An answer at 14:37 to a thread the adviser read at 14:30 is stored after 14:30
    (not at 14:00), so the console still counts it unread and shows it last."""
    clock = Clock(HOUR)
    accounts = Accounts(backend.sessions, keys[0], clock)
    hhs = await enrol(accounts, "hhs-vp", "hhs")
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    report_id = await file_for(keys[0], store, "hhs", [hhs], clock())
    key = await login(accounts, hhs, clock())
    cases = Cases(backend.sessions, keys[0].server, clock)
    clock.advance(timedelta(minutes=20))
    assert (
        await cases.actions.write("hhs-vp", key, report_id, "Hoe gaat het?", internal=False) is None
    )
    clock.advance(timedelta(minutes=10))
    assert await cases.reading.open("hhs-vp", key, report_id) is not None  # read at 14:30
    clock.advance(timedelta(minutes=7, seconds=12))
    side = StudentSide(backend.sessions, store, clock=clock)
    assert await side.answer(report_id, "Goed, dank je.")
    async with backend.sessions() as session:
        read_at = await session.scalar(select(ReadMark.read_at))
        student = await session.scalar(select(Message).where(Message.author_kind == "student"))
    assert read_at == HOUR + timedelta(minutes=30) and student is not None
    assert student.created_at == read_at + timedelta(microseconds=1)
    assert [c.unread for c in await cases.reading.list_for("hhs-vp")] == [1]
    view = await cases.reading.open("hhs-vp", key, report_id)
    assert view is not None and [e.text for e in view.thread][-1] == "Goed, dank je."


async def test_updates_and_wrong_codes_are_stored_coarsely(backend: Backend) -> None:
    """A Telegram update's time to the hour; a wrong receipt code's rounded up to the
    lock-out window (it counts at least the whole window)."""
    clock = Clock(AT)
    assert await UpdateLog(backend.sessions, clock).first_time("telegram", 42)
    attempts = StatusAttempts(backend.sessions, clock=clock)
    await attempts.record_failure("c" * 64)
    async with backend.sessions() as session:
        assert await session.scalar(select(ProcessedUpdate.at)) == HOUR
        assert await session.scalar(select(StatusAttempt.at)) == HOUR + timedelta(minutes=45)


def _draft() -> Draft:
    values: dict[str, object] = {
        "lang": "nl", "phase": "during", "story": "Ze lachten om mijn accent.",
        "grounds": ("origin",), "when": "week", "school": "hhs", "workplace": "Firma X",
        "evidence": "no", "evidence_note": "", "wants": "talk", "visibility": "school",
        "danger": False,
    }  # fmt: skip
    return Draft(**values)  # type: ignore[arg-type]


async def test_deadlines_count_from_the_stored_hour(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A due time computed from the exact filing moment would give that moment away; it
    counts from the stored hour (at most an hour early, never late)."""
    container = await build_container(make_settings())
    container.reports.clock = lambda: AT
    policy = container.deadline_policy
    try:
        filed = await file_draft(wiring.filing(container), _draft())
        async with container.sessions() as session:
            report = await session.get(Report, filed.report_id)
            due = (await session.scalars(select(Deadline.due_at))).all()
    finally:
        await container.close()
    assert report is not None and report.created_at == HOUR
    assert sorted(due) == sorted(d for _, d in due_dates(HOUR, urgent=False, policy=policy))
    assert all(d.minute == d.second == d.microsecond == 0 for d in due)


# --- nudges ----------------------------------------------------------------------------


def _binary_cells(rows: list[tuple[str, object]]) -> list[bytes]:
    return [v for _, v in rows if isinstance(v, bytes)]


async def test_an_answer_leaves_no_sealed_chat_address_in_any_table(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """After an adviser answers a student who asked to be told, no table holds the chat
    id (in the clear or sealed under the server key from keys.dir); the target went to
    the in-memory queue, after the commit, and nowhere else."""
    server = keys[0].server
    clock = Clock()
    accounts = Accounts(backend.sessions, keys[0], clock)
    hhs = await enrol(accounts, "hhs-vp", "hhs")
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    target = f"telegram:{CHAT_ID}:nl"
    report_id = await file_for(keys[0], store, "hhs", [hhs], clock(), extra={"push_target": target})
    key = await login(accounts, hhs, clock())
    queue = NudgeQueue(clock)
    cases = Cases(backend.sessions, server, clock, news=queue.put)
    assert (
        await cases.actions.write("hhs-vp", key, report_id, "Er is nieuws.", internal=False) is None
    )
    assert [t for t, _ in queue.due()] == [target]

    async with backend.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert "student_nudges" not in tables
    cells: list[bytes] = []
    async with backend.sessions() as session:
        for table in Base.metadata.sorted_tables:
            binary = [c for c in table.columns if isinstance(c.type, LargeBinary)]
            for column in binary:
                cells += [v for v in await session.scalars(select(column)) if v]
    assert cells
    for blob in cells:
        assert CHAT_ID.encode() not in blob
        for purpose in ("nudge-target", "push-target"):
            with pytest.raises(aead.CryptoError):
                server.open_value(blob, purpose=purpose)


async def test_the_queue_sends_once_retries_and_gives_up() -> None:
    """The in-memory queue delivers, retries a failure later, drops a chat that blocked
    the bot, and keeps one pending nudge per chat."""
    clock = Clock()
    queue = NudgeQueue(clock)
    queue.put("telegram:1:nl")
    queue.put("telegram:1:nl")  # a second piece of news adds nothing
    queue.put("telegram:2:en")
    queue.put("web:3:nl")  # no channel can push there: dropped
    calls: list[tuple[str, str]] = []
    fail = {"1"}

    async def send(chat: str, lang: str) -> None:
        calls.append((chat, lang))
        if chat in fail:
            raise ConnectionError("network")
        if chat == "2":
            raise GiveUp

    assert await deliver_nudges(queue, {"telegram": send}, clock) == 0
    assert calls == [("1", "nl"), ("2", "en")] and len(queue) == 1
    assert await deliver_nudges(queue, {"telegram": send}, clock) == 0  # not due yet
    fail.clear()
    clock.advance(timedelta(minutes=2))
    assert await deliver_nudges(queue, {"telegram": send}, clock) == 1
    assert len(queue) == 0 and calls[-1] == ("1", "nl")


async def test_a_report_open_for_the_visit_leaves_no_link_on_the_disk(
    make_settings: Callable[..., Settings],
) -> None:
    """The code once per visit, against the disk-copy attacker at its strongest: every
    file (the database with its -wal, keys.dir with the draft key files) and the chat
    id, which opens an unfinished draft (the documented limit). A student with a draft
    open checks a report and keeps it open for the visit: the draft's row holds no token
    and names no report; the token lives in memory only, sealed under a key only the
    running process holds (no key on the disk opens it, nor a restarted service's)."""
    settings = make_settings()
    container = await build_container(settings)
    try:
        turns = wiring.turns(container)
        chat = turns.chat_key("telegram", CHAT_ID)
        code = container.reports.draw_receipt()
        filed = await file_draft(wiring.filing(container), _draft(), receipt=code)
        await turns.run(chat, Command("start"))
        await turns.run(chat, Text("Nee"))  # a draft with an answer: it has a row
        shown = await turns.run(chat, Command("status", code))
        assert [r.key for r in shown.replies] == ["status_received"]
        await turns.run(chat, Command("help"))  # the view open, the report open
        stored_state = await container.conversations.load(chat)  # key file + chat id
        assert stored_state is not None
        stored = json.dumps(stored_state)
        assert '"token": ""' in stored
        for secret in (filed.report_id, filed.reference, code, CHAT_ID):
            assert secret not in stored
        visit = container.visits.get(chat.key)
        assert visit is not None and visit.record is None  # memory: the token alone
        token = visit.token
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        server = container.keys.server
        for purpose in ("reply-token", "ephemeral", "conversation-state"):
            with pytest.raises(aead.CryptoError):
                server.open_value(sealed, purpose=purpose)
        assert open_token(ephemeral.EphemeralKey(), token, container.reports.clock()) is None
        files = [p for p in Path(settings.keys.dir).rglob("*") if p.is_file()]
        db = Path(settings.database.url.split("///", 1)[1])
        files += [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
        for path in files:
            raw = path.read_bytes()
            assert token.encode() not in raw  # only ever sealed inside the draft blob
            assert CHAT_ID.encode() not in raw
    finally:
        await container.close()
