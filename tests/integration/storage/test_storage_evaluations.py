"""storage/repositories/evaluations.py: the student's evaluation after closing — once per
report, the score in the clear, the text sealed to the network's coordinators only (the
server's key does not open it), quotable texts for the reflection report, and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select, update

from storage.crypto import aead, hpke_seal, receipt_keys
from storage.crypto.keys import KeyStore
from storage.db.models import Evaluation, EvaluationCopy
from storage.repositories.accounts.credentials import LoggedIn
from storage.repositories.evaluations import (
    QUOTE_KEEP,
    Quote,
    quotable_evaluations,
)
from storage.repositories.reports import NewReport, Recipient
from storage.repositories.retention import Retention
from storage.repositories.student import StudentSide
from tests.support import storage_backends
from tests.support.evaluation_world import EvaluationWorld as World
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys
TEXT = "EVALUATIONMARK: ze belden pas na drie weken terug."


@pytest.fixture
async def world(backend: Backend, keys: tuple[KeyStore, str]) -> World:
    w = World(backend, keys[0], Clock(datetime(2026, 3, 17, 14, 37, tzinfo=UTC)))
    await w.setup()
    return w


async def test_the_score_is_kept_once_with_its_month_and_a_second_answer_is_refused(
    world: World,
) -> None:
    report_id = await world.closed_report()
    assert (
        await world.evaluations.save(
            report_id, score=4, text=TEXT, quote=True, readers=world.readers
        )
        == "saved"
    )
    report = await world.report(report_id)
    assert report.evaluation_score == 4
    assert report.evaluation_at == datetime(2026, 3, 1, tzinfo=UTC)  # the month, nothing finer
    assert report.sector == "care"
    again = await world.evaluations.save(
        report_id, score=1, text="iets anders", quote=False, readers=world.readers
    )
    assert again == "already"
    assert (await world.report(report_id)).evaluation_score == 4
    assert [e.text for e in await world.evaluations.entries(world.me)] == [TEXT.strip()]


async def test_declining_everything_is_remembered_too(world: World) -> None:
    report_id = await world.closed_report()
    assert await world.evaluations.save(
        report_id, score=None, text="", quote=False, readers=()
    ) == ("saved")
    report = await world.report(report_id)
    assert report.evaluation_score is None and report.evaluation_at is not None
    async with world.backend.sessions() as session:
        assert (await session.scalars(select(Evaluation))).all() == []


async def test_only_a_closed_report_takes_an_evaluation(world: World) -> None:
    filed = await world.reports.file(
        NewReport(
            org_id="hhs", phase="during", grounds=("origin",), when_bucket="month",
            wants="talk", visibility="school", urgent=False, content={"story": "x"},
        )
    )  # fmt: skip
    saved = await world.evaluations.save(
        filed.report_id, score=3, text="", quote=False, readers=world.readers
    )
    assert saved == "not_closed"
    assert (await world.report(filed.report_id)).evaluation_at is None


async def test_the_status_view_says_when_an_evaluation_is_due(world: World) -> None:
    receipt = receipt_keys.generate_receipt()
    filed = await world.reports.file(
        NewReport(
            org_id="hhs", phase="during", grounds=("origin",), when_bucket="month",
            wants="talk", visibility="school", urgent=False, content={"story": "x"},
        ),
        receipt=receipt,
    )  # fmt: skip
    student = StudentSide(world.backend.sessions, world.reports, clock=world.clock)
    view = await student.view(receipt)
    assert view is not None and not view.evaluation_due  # still open
    await world.close(filed.report_id)
    view = await student.view(receipt)
    assert view is not None and view.evaluation_due
    await world.evaluations.save(filed.report_id, score=5, text="", quote=False, readers=())
    view = await student.view(receipt)
    assert view is not None and not view.evaluation_due


async def test_bad_values_are_programming_errors(world: World) -> None:
    report_id = await world.closed_report()
    with pytest.raises(ValueError, match="score"):
        await world.evaluations.save(report_id, score=6, text="", quote=False, readers=())
    with pytest.raises(ValueError, match="at most"):
        await world.evaluations.save(
            report_id, score=None, text="x" * 1001, quote=False, readers=()
        )
    with pytest.raises(ValueError, match="sector"):
        await world.closed_report(sector="mining")
    assert (await world.report(report_id)).evaluation_at is None


async def test_the_text_is_sealed_to_the_coordinators_and_the_server_key_opens_nothing(
    world: World,
) -> None:
    report_id = await world.closed_report()
    await world.evaluations.save(report_id, score=2, text=TEXT, quote=False, readers=world.readers)
    async with world.backend.sessions() as session:
        row = (await session.scalars(select(Evaluation))).one()
        copies = {
            c.recipient_id: c.sealed for c in (await session.scalars(select(EvaluationCopy))).all()
        }
    assert set(copies) == {"denhaag-coordinator", "recovery"}
    assert all(TEXT.encode() not in blob for blob in copies.values())
    if world.backend.sqlite_path is not None:
        for path in world.backend.sqlite_path.parent.glob("stagemeld.db*"):
            assert b"EVALUATIONMARK" not in path.read_bytes(), path
    # The coordinator opens it; the server (keys.dir: its secret, every sub-key) cannot.
    opened = hpke_seal.open_evaluation(
        copies["denhaag-coordinator"], world.me.private_key, evaluation_id=row.id, quote=False
    )
    assert opened.decode() == TEXT
    secret = (world.keys.dir / "server.key").read_bytes()
    as_private = X25519PrivateKey.from_private_bytes(secret[:32])
    for blob in copies.values():
        with pytest.raises(aead.CryptoError):
            hpke_seal.open_evaluation(blob, as_private, evaluation_id=row.id, quote=False)
        with pytest.raises(aead.CryptoError):
            world.keys.server.open_value(blob, purpose="evaluation")
    # Another adviser's key, or the right key with the consent flipped, opens nothing.
    other, _ = hpke_seal.generate_keypair()
    with pytest.raises(aead.CryptoError):
        hpke_seal.open_evaluation(
            copies["denhaag-coordinator"], other, evaluation_id=row.id, quote=False
        )
    with pytest.raises(aead.CryptoError):
        hpke_seal.open_evaluation(
            copies["denhaag-coordinator"], world.me.private_key, evaluation_id=row.id, quote=True
        )


async def test_a_coordinator_key_swapped_in_the_database_gets_no_copy(world: World) -> None:
    _, swapped = hpke_seal.generate_keypair()
    report_id = await world.closed_report()
    forged = (Recipient("denhaag-coordinator", swapped),)
    assert (
        await world.evaluations.save(report_id, score=3, text=TEXT, quote=False, readers=forged)
        == "saved"
    )
    async with world.backend.sessions() as session:
        kinds = (await session.scalars(select(EvaluationCopy.recipient_id))).all()
    assert kinds == ["recovery"]


async def test_quotable_evaluations_give_only_consented_texts_of_the_period_with_their_month(
    world: World,
) -> None:
    given = []
    for text, quote, when in [
        ("Sneller antwoorden graag.", True, datetime(2025, 9, 3, tzinfo=UTC)),
        ("Niet citeren a.u.b.", False, datetime(2025, 10, 8, tzinfo=UTC)),
        ("Fijn dat ik gehoord werd.", True, datetime(2026, 7, 30, tzinfo=UTC)),
        ("Te laat voor deze periode.", True, datetime(2026, 8, 2, tzinfo=UTC)),
    ]:
        world.clock.now = when
        report_id = await world.closed_report()
        assert (
            await world.evaluations.save(
                report_id, score=3, text=text, quote=quote, readers=world.readers
            )
            == "saved"
        )
        given.append(report_id)
    async with world.backend.sessions() as session:
        quotes = await quotable_evaluations(
            session, world.keys.server, world.me, date(2025, 8, 1), date(2026, 7, 31)
        )
    assert quotes == [
        Quote(date(2025, 9, 1), "Sneller antwoorden graag."),
        Quote(date(2026, 7, 1), "Fijn dat ik gehoord werd."),
    ]
    # The consent flag flipped in the database: that text fails to open and is left out.
    async with world.backend.sessions() as session, session.begin():
        await session.execute(
            update(Evaluation).where(Evaluation.report_id == given[1]).values(quote=True)
        )
    async with world.backend.sessions() as session:
        quotes = await quotable_evaluations(
            session, world.keys.server, world.me, date(2025, 8, 1), date(2026, 7, 31)
        )
    assert [q.text for q in quotes] == ["Sneller antwoorden graag.", "Fijn dat ik gehoord werd."]
    entries = await world.evaluations.entries(world.me)
    altered = [e for e in entries if e.text is None]
    assert len(altered) == 1 and altered[0].quote  # shown as altered, never as text
    # Another reader (no copy sealed to them) gets nothing.
    stranger = LoggedIn("hhs-vp", hpke_seal.generate_keypair()[0])
    async with world.backend.sessions() as session:
        assert (
            await quotable_evaluations(
                session, world.keys.server, stranger, date(2025, 1, 1), date(2027, 1, 1)
            )
            == []
        )


async def test_erasure_keeps_the_score_drops_a_private_text_and_unlinks_a_quotable_one(
    world: World,
) -> None:
    private_id = await world.closed_report()
    quotable_id = await world.closed_report()
    await world.evaluations.save(
        private_id, score=1, text="privé", quote=False, readers=world.readers
    )
    await world.evaluations.save(
        quotable_id, score=5, text="citeer", quote=True, readers=world.readers
    )
    retention = Retention(
        world.backend.sessions, world.keys.server, timedelta(days=365), timedelta(days=14),
        clock=world.clock,
    )  # fmt: skip
    world.clock.advance(timedelta(days=366))
    assert len(await retention.erase_due()) == 2
    assert (await world.report(private_id)).evaluation_score == 1
    assert (await world.report(quotable_id)).evaluation_score == 5
    async with world.backend.sessions() as session:
        rows = (await session.scalars(select(Evaluation))).all()
        copies = (await session.scalars(select(EvaluationCopy))).all()
    assert [(r.report_id, r.quote) for r in rows] == [(None, True)]
    assert {c.evaluation_id for c in copies} == {rows[0].id}
    async with world.backend.sessions() as session:
        quotes = await quotable_evaluations(
            session, world.keys.server, world.me, date(2026, 1, 1), date(2026, 12, 31)
        )
    assert [q.text for q in quotes] == ["citeer"]
    world.clock.advance(QUOTE_KEEP)
    await retention.erase_due()
    async with world.backend.sessions() as session:
        assert (await session.scalars(select(Evaluation))).all() == []
        assert (await session.scalars(select(EvaluationCopy))).all() == []


async def test_the_reflection_report_gets_the_quotes_of_its_school_year(world: World) -> None:
    """The console's quote source (bot/app/routes.py) over the real store: a school year
    1 August - 31 July, only consented texts, opened with the coordinator's own key."""
    from types import SimpleNamespace

    from bot.app.routes import quote_source
    from escalation.figures.rows import year_start

    for text, quote, when in [
        ("Sneller antwoorden graag.", True, datetime(2025, 8, 1, 9, tzinfo=UTC)),
        ("Niet citeren a.u.b.", False, datetime(2025, 10, 8, tzinfo=UTC)),
        ("Volgend schooljaar.", True, datetime(2026, 8, 3, tzinfo=UTC)),
    ]:
        world.clock.now = when
        report_id = await world.closed_report()
        await world.evaluations.save(
            report_id, score=4, text=text, quote=quote, readers=world.readers
        )
    container = SimpleNamespace(sessions=world.backend.sessions, keys=world.keys)
    quotes = quote_source(container)  # type: ignore[arg-type]
    got = await quotes(
        world.me.adviser_id, world.me.private_key, year_start(2025), year_start(2026)
    )
    assert got == ["Sneller antwoorden graag. (08-2025)"]
