"""Filing a report and reading it back — by receipt, as an adviser, with the recovery key."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.crypto import hpke_seal, private_keys, receipt_keys
from storage.crypto.aead import CryptoError
from storage.crypto.keys import KeyStore
from storage.db.models import Notification, Report, ReportField, SealedKey
from storage.repositories.reports import (
    NewReport,
    ReceiptTaken,
    Recipient,
    ReportNotFound,
    ReportStore,
)
from tests.support import storage_backends
from tests.support import storage_helpers as helpers
from tests.support.storage_backends import Backend, Clock
from vocabulary import format_receipt

backend = storage_backends.backend
keys = storage_backends.keys

CONTENT = {
    "story": "De stagebegeleider zei dat ik mijn hoofddoek af moest doen.",
    "workplace": "Bakkerij Voorbeeld, Den Haag",
    "evidence": "yes",
    "evidence_note": "Een WhatsApp-bericht — met emoji 🙂",
    "lang": "nl",
    "danger": "no",
}


def new_report(
    recipients: tuple[Recipient, ...] = (),
    notify: tuple[tuple[str, str], ...] = (),
    content: dict[str, str] | None = None,
) -> NewReport:
    return NewReport(
        org_id="hhs",
        phase="during",
        grounds=("religion", "origin"),
        when_bucket="week",
        wants="talk",
        visibility="school",
        urgent=False,
        content=CONTENT if content is None else content,
        recipients=recipients,
        notify=notify,
    )


async def count(b: Backend, model: type) -> int:
    async with b.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_file_then_status_and_every_reader(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    keystore, recovery_text = keys
    clock = Clock()
    store = ReportStore(backend.sessions, keystore, clock=clock)
    anna_private, anna = await helpers.enrolled(store, "anna")
    bram_private, bram = await helpers.enrolled(store, "bram")
    filed = await store.file(new_report(recipients=(anna, bram)))
    assert len(filed.receipt) == 16 and filed.receipt.isdigit()
    assert filed.reference.startswith("SM-") and len(filed.reference) == 12

    view = await helpers.status(store, filed.receipt)
    assert view is not None
    assert (view.reference, view.status, view.changed_at) == (
        filed.reference,
        "received",
        clock.now,
    )
    assert view.changed_at.tzinfo is not None
    # what a student types: groups, dashes, stray spaces
    assert await helpers.status(store, format_receipt(filed.receipt)) == view
    dashed = "-".join(filed.receipt[i : i + 4] for i in range(0, 16, 4))
    assert await helpers.status(store, f"  {dashed} ") == view

    assert await helpers.read_with_receipt(store, filed.receipt) == CONTENT
    assert await helpers.read_as_adviser(store, filed.report_id, "anna", anna_private) == CONTENT
    assert await helpers.read_as_adviser(store, filed.report_id, "bram", bram_private) == CONTENT
    recovery = private_keys.private_key_from_text(recovery_text)
    assert await store.read_with_recovery(filed.report_id, recovery) == CONTENT

    async with backend.sessions() as session:
        row = await session.get(Report, filed.report_id)
    assert row is not None
    assert (row.org_id, row.phase, row.grounds, row.when_bucket) == (
        "hhs",
        "during",
        "origin,religion",
        "week",
    )
    assert (row.wants, row.visibility, row.urgent, row.status) == (
        "talk",
        "school",
        False,
        "received",
    )


async def test_wrong_or_malformed_receipt_gives_none(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    store = ReportStore(backend.sessions, keys[0])
    filed = await store.file(new_report())
    wrong = f"{(int(filed.receipt) + 1) % 10**16:016d}"
    assert await helpers.status(store, wrong) is None
    assert await helpers.read_with_receipt(store, wrong) is None
    for junk in ("", "hallo", "1234", "1234 5678 9012 345X", "١٢٣٤١٢٣٤١٢٣٤١٢٣٤"):
        assert await helpers.status(store, junk) is None
        assert await helpers.read_with_receipt(store, junk) is None


async def test_receipt_opens_only_its_own_report(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    store = ReportStore(backend.sessions, keys[0])
    first = await store.file(new_report(content={"story": "eerste"}))
    second = await store.file(new_report(content={"story": "tweede"}))
    assert await helpers.read_with_receipt(store, first.receipt) == {"story": "eerste"}
    assert await helpers.read_with_receipt(store, second.receipt) == {"story": "tweede"}
    view = await helpers.status(store, second.receipt)
    assert view is not None and view.reference == second.reference != first.reference


async def test_another_adviser_cannot_read(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    store = ReportStore(backend.sessions, keys[0])
    anna_private, anna = await helpers.enrolled(store, "anna")
    eve_private, _ = hpke_seal.generate_keypair()
    filed = await store.file(new_report(recipients=(anna,)))
    assert await helpers.read_as_adviser(store, filed.report_id, "anna", anna_private) == CONTENT
    # not routed to eve at all
    assert await helpers.read_as_adviser(store, filed.report_id, "eve", eve_private) is None
    # eve claiming to be anna, with her own key
    assert await helpers.read_as_adviser(store, filed.report_id, "anna", eve_private) is None
    # anna's key on a report id that doesn't exist
    assert await helpers.read_as_adviser(store, "0" * 32, "anna", anna_private) is None


async def test_report_with_no_adviser_is_readable_with_recovery_only(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    keystore, recovery_text = keys
    store = ReportStore(backend.sessions, keystore)
    filed = await store.file(new_report())
    async with backend.sessions() as session:
        kinds = (
            await session.execute(select(SealedKey.recipient_kind, SealedKey.recipient_id))
        ).all()
    assert [tuple(k) for k in kinds] == [("recovery", "recovery")]
    recovery = private_keys.private_key_from_text(recovery_text)
    assert await store.read_with_recovery(filed.report_id, recovery) == CONTENT
    not_recovery, _ = hpke_seal.generate_keypair()
    with pytest.raises(CryptoError):
        await store.read_with_recovery(filed.report_id, not_recovery)
    with pytest.raises(ReportNotFound):
        await store.read_with_recovery("f" * 32, recovery)


async def test_outbox_rows_are_written_with_the_report(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    store = ReportStore(backend.sessions, keys[0])
    filed = await store.file(new_report(notify=(("anna", "telegram"), ("bram", "email"))))
    async with backend.sessions() as session:
        rows = (
            await session.scalars(
                select(Notification).where(Notification.report_id == filed.report_id)
            )
        ).all()
    assert sorted((n.adviser_id, n.channel, n.state, n.attempts) for n in rows) == [
        ("anna", "telegram", "pending", 0),
        ("bram", "email", "pending", 0),
    ]


async def test_a_failure_inside_filing_leaves_nothing_behind(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """One transaction: a notification row that can't be written takes the report along."""
    store = ReportStore(backend.sessions, keys[0])
    broken = new_report(notify=(("anna", None),))  # type: ignore[arg-type]  # NOT NULL
    with pytest.raises(Exception, match=r"(?i)null"):
        await store.file(broken)
    for model in (Report, ReportField, SealedKey, Notification):
        assert await count(backend, model) == 0


async def test_a_lookup_collision_asks_for_a_new_code_and_files_nothing(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """The student saved the code before filing, so a taken code is never swapped for
    another silently: `file` refuses (ReceiptTaken), writes nothing, and the caller
    shows a new code to save."""
    store = ReportStore(backend.sessions, keys[0])
    first = await store.file(new_report(content={"story": "a"}), receipt="1111222233334444")
    with pytest.raises(ReceiptTaken):
        await store.file(new_report(content={"story": "b"}), receipt="1111222233334444")
    assert await count(backend, Report) == 1
    second = await store.file(new_report(content={"story": "b"}), receipt="5555666677778888")
    assert (first.receipt, second.receipt) == ("1111222233334444", "5555666677778888")
    assert await helpers.read_with_receipt(store, second.receipt) == {"story": "b"}
    assert await count(backend, Report) == 2


async def test_argon2id_runs_off_the_event_loop(
    backend: Backend, keys: tuple[KeyStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real = receipt_keys.derive_receipt_keys

    def spy(*args: object) -> receipt_keys.ReceiptKeys:
        threads.append(threading.current_thread())
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(receipt_keys, "derive_receipt_keys", spy)
    store = ReportStore(backend.sessions, keys[0])
    filed = await store.file(new_report())
    await helpers.status(store, filed.receipt)
    await helpers.read_with_receipt(store, filed.receipt)
    assert len(threads) == 3
    assert all(t is not threading.main_thread() for t in threads)


async def test_set_status_changes_what_the_student_sees(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    filed = await store.file(new_report())
    clock.advance(timedelta(days=2))
    assert await helpers.set_status(store, filed.report_id, "in_progress")
    view = await helpers.status(store, filed.receipt)
    assert view is not None
    assert (view.status, view.changed_at) == ("in_progress", clock.now)
    assert not await helpers.set_status(store, "0" * 32, "closed")
    with pytest.raises(ValueError):
        await helpers.set_status(store, filed.report_id, "lost")


async def test_programming_errors_are_refused_up_front(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    store = ReportStore(backend.sessions, keys[0])
    _, public = hpke_seal.generate_keypair()
    with pytest.raises(ValueError):
        await store.file(new_report(recipients=(Recipient("a", public), Recipient("a", public))))
    with pytest.raises(ValueError):
        await store.file(new_report(recipients=(Recipient("recovery", public),)))
    with pytest.raises(ValueError):
        await store.file(new_report(content={"x" * 33: "too long a field name"}))
    assert await count(backend, Report) == 0


async def test_each_report_has_its_own_key_pair_and_deadlines(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """The private half is content (under the data key); the public half seals what the
    student sends later. Deadlines are committed with the report."""
    from dataclasses import replace

    from storage.db.models import Deadline
    from storage.repositories.reports import report_private_key

    keystore, recovery_text = keys
    store = ReportStore(backend.sessions, keystore)
    due = Clock().now + timedelta(days=2)
    filed = await store.file(replace(new_report(), deadlines=(("acknowledge", due),)))
    other = await store.file(new_report())
    recovery = private_keys.private_key_from_text(recovery_text)
    assert "report_key" not in await store.read_with_recovery(filed.report_id, recovery)
    async with backend.sessions() as session:
        publics = {r.id: r.public_key for r in await session.scalars(select(Report))}
        sealed = await session.scalar(
            select(SealedKey.sealed).where(
                SealedKey.report_id == filed.report_id, SealedKey.recipient_kind == "recovery"
            )
        )
        data_key = hpke_seal.open_key(sealed, recovery, report_id=filed.report_id)  # type: ignore[arg-type]
        private = await report_private_key(session, filed.report_id, data_key)
        deadlines = (await session.scalars(select(Deadline))).all()
    assert private is not None and hpke_seal.public_bytes(private) == publics[filed.report_id]
    assert publics[filed.report_id] != publics[other.report_id]
    assert [(d.report_id, d.kind, d.due_at, d.level) for d in deadlines] == [
        (filed.report_id, "acknowledge", due, 0)
    ]
