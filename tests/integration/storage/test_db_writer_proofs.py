"""Write access to the database alone (no keys.dir): the student's words and consents.

The attacker runs plain SQL against the live database. They seal a "student" message
of their own to the report's public key (a plain column), move a real message to
another report, flip `pattern_members.share_allowed` and `reports.visibility`. The
service's proofs (`storage.crypto.proofs`) give each of them away: the console marks the
entries "possibly altered" (never as the student's plain words), the student is not
shown them, and a share or hand-over that relies on a flipped consent is refused with
the reason in the audit log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, update

from bot.app import wiring
from bot.app.container import Container, build_container
from bot.app.recover import CONSENT_ALTERED, RESEALED, recover
from bot.app.settings import load_settings
from storage.crypto import hpke_seal, proofs, thread
from storage.crypto.keys import KeyStore
from storage.crypto.private_keys import private_key_from_text
from storage.db.models import (
    Attachment,
    AuditEntry,
    Evaluation,
    EvaluationCopy,
    Message,
    Pattern,
    PatternMember,
    Report,
)
from storage.repositories.cases import CaseRefused
from storage.repositories.evaluations import quotable_evaluations
from storage.repositories.proofs import MARKER, backfill
from storage.repositories.reports import Recipient
from storage.repositories.student import StudentSide
from tests.conftest import base_config, save_config
from tests.support import storage_backends
from tests.support.case_helpers import enrol, file_for, login
from tests.support.case_world import World
from tests.support.console_client import console_container, make_world
from tests.support.evaluation_world import EvaluationWorld
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys
FORGED = "Ik trek mijn melding in, bel me op 06-12345678."


async def _forge_student_message(backend: Backend, report_id: str, text: str) -> str:
    """What a writer can do without keys.dir: seal to the public key in the column."""
    async with backend.sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        assert report is not None and report.public_key is not None
        message_id = thread.new_id()
        row = thread.student_message(
            report.public_key, report_id, message_id, text, report.created_at
        )
        session.add(row)
        await session.flush()
        file_id = thread.new_id()
        session.add(
            Attachment(
                id=file_id, report_id=report_id, message_id=message_id,
                created_at=report.created_at,
                sealed=thread.seal_file(
                    report.public_key, report_id, file_id,
                    thread.FileContent("intrekking.pdf", "application/pdf", b"%PDF-1.4"),
                ),
            )
        )  # fmt: skip
    return message_id


async def test_a_forged_student_message_is_marked_and_never_shown_as_theirs(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    side = StudentSide(backend.sessions, w.reports, w.clock)
    assert await side.answer(report_id, "Echt van mij.")
    forged_id = await _forge_student_message(backend, report_id, FORGED)

    view = await w.cases.reading.open("hhs-vp", key, report_id)
    assert view is not None
    by_id = {m.id: m for m in view.thread}
    assert by_id[forged_id].altered and by_id[forged_id].author_kind == "student"
    genuine = [m for m in view.thread if m.id != forged_id]
    assert [(m.text, m.altered) for m in genuine] == [("Echt van mij.", False)]
    assert [(a.name, a.altered) for a in view.attachments] == [("intrekking.pdf", True)]


async def test_a_message_moved_to_another_report_is_marked(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """Re-pointed and re-sealed to the other report's key (the writer cannot open the
    original, so they re-seal words of their own under the moved row's id and time)."""
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    first = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    second = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    side = StudentSide(backend.sessions, w.reports, w.clock)
    assert await side.answer(first, "Alleen voor de eerste melding.")
    async with backend.sessions() as session, session.begin():
        moved = await session.scalar(
            select(Message).where(Message.report_id == first, Message.author_kind == "student")
        )
        target = await session.get(Report, second)
        assert moved is not None and target is not None and target.public_key is not None
        resealed = thread.student_message(
            target.public_key, second, moved.id, "Verplaatst.", moved.created_at
        )
        await session.execute(
            update(Message)
            .where(Message.id == moved.id)
            .values(report_id=second, ciphertext=resealed.ciphertext)
        )
    view = await w.cases.reading.open("hhs-vp", key, second)
    assert view is not None
    assert [(m.text, m.altered) for m in view.thread if m.author_kind == "student"] == [
        ("Verplaatst.", True)
    ]


async def _in_pattern(backend: Backend, keystore: KeyStore, report_id: str) -> None:
    """The report in a pattern, as the service files it (nothing allowed yet)."""
    async with backend.sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        assert report is not None
        pattern_id = uuid.uuid4().hex
        session.add(
            Pattern(id=pattern_id, created_at=report.created_at, updated_at=report.created_at)
        )
        await session.flush()
        member = PatternMember(
            report_id=report_id, pattern_id=pattern_id, joined_at=report.created_at
        )
        member.share_allowed = ""
        proofs.prove_share(keystore.server, member)
        session.add(member)


async def _audit(backend: Backend, report_id: str) -> list[tuple[str, str]]:
    async with backend.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.report_id == report_id).order_by(AuditEntry.seq)
        )
        return [(r.action, r.detail) for r in rows]


async def test_a_flipped_share_allowed_is_refused_and_audited(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    network = await enrol(w.accounts, "netwerk-coordinator", "netwerk")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    await _in_pattern(backend, keys[0], report_id)
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(PatternMember)
            .where(PatternMember.report_id == report_id)
            .values(share_allowed="network")
        )
    to = [Recipient("netwerk-coordinator", network.public_key)]
    refused = await w.cases.patterns.share_report("hhs-vp", key, report_id, "network", to)
    assert refused == CaseRefused("consent_altered")
    assert ("consent_altered", "pattern_report_shared:network") in await _audit(backend, report_id)
    network_key = await login(w.accounts, network, w.clock())
    assert await w.cases.reading.open("netwerk-coordinator", network_key, report_id) is None

    # Once the student allows it themselves, the share goes (and what the writer put
    # there counts for nothing: only the student's own choice is proven).
    side = StudentSide(backend.sessions, w.reports, w.clock)
    assert await side.allow_share(report_id, "network")
    assert await w.cases.patterns.share_report("hhs-vp", key, report_id, "network", to) is None


async def test_a_flipped_visibility_refuses_the_hand_over(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    work = await enrol(w.accounts, "werk-vp", "gemeente-werkgever")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock(), visibility="school")
    key = await login(w.accounts, hhs, w.clock())
    async with backend.sessions() as session, session.begin():
        await session.execute(
            update(Report).where(Report.id == report_id).values(visibility="network")
        )
    to = [Recipient("werk-vp", work.public_key)]
    moved = await w.cases.handovers.move("hhs-vp", key, report_id, "gemeente-werkgever", to)
    assert moved == CaseRefused("consent_altered")
    added = await w.cases.handovers.add("hhs-vp", key, report_id, "gemeente-werkgever", to)
    assert added == CaseRefused("consent_altered")
    work_key = await login(w.accounts, work, w.clock())
    assert await w.cases.reading.open("werk-vp", work_key, report_id) is None
    assert ("consent_altered", "handover_org:gemeente-werkgever") in await _audit(
        backend, report_id
    )


async def test_rows_from_before_proofs_are_proven_once_at_first_start(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """The upgrade: rows without a MAC are proven at the first start with keys.dir, and
    never again (keys.dir remembers), so a row slipped in later stays unproven."""
    w = World(backend, keys[0])
    hhs = await enrol(w.accounts, "hhs-vp", "hhs")
    report_id = await file_for(w.keys, w.reports, "hhs", [hhs], w.clock())
    key = await login(w.accounts, hhs, w.clock())
    side = StudentSide(backend.sessions, w.reports, w.clock)
    assert await side.answer(report_id, "Van voor de upgrade.")
    async with backend.sessions() as session, session.begin():  # as migration 0011 left it
        await session.execute(update(Message).values(mac=None))
        await session.execute(update(Report).values(consent_mac=None))
    (Path(keys[0].dir) / MARKER).unlink(missing_ok=True)
    assert await backfill(backend.sessions, keys[0]) >= 2
    assert (Path(keys[0].dir) / MARKER).exists()
    forged_id = await _forge_student_message(backend, report_id, FORGED)
    assert await backfill(backend.sessions, keys[0]) == 0
    view = await w.cases.reading.open("hhs-vp", key, report_id)
    assert view is not None
    assert [(m.text, m.altered) for m in view.thread if m.id != forged_id] == [
        ("Van voor de upgrade.", False)
    ]
    assert [m.altered for m in view.thread if m.id == forged_id] == [True]


async def test_the_console_shows_a_forged_message_possibly_altered(tmp_path: Path) -> None:
    container: Container
    async with console_container(tmp_path) as container:
        world = make_world(container)
        hhs = await world.enrol("hhs-vp")
        report_id = await file_for(container.keys, container.reports, "hhs", [hhs], world.clock())
        backend = Backend("sqlite", "", container.db, container.sessions, None)
        await _forge_student_message(backend, report_id, FORGED)
        async with world.client() as client:
            assert (await world.login(client, hhs)).status_code == 303
            page = await client.get(f"/console/reports/{report_id}")
    assert page.status_code == 200
    assert "mogelijk gewijzigd: Student" in page.text
    assert 'class="text altered"' in page.text
    assert "mogelijk gewijzigd: dit bestand" in page.text


async def test_a_flipped_visibility_refuses_recovery_to_another_organization(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    save_config(path, base_config(tmp_path))
    container = await build_container(load_settings(path))
    try:
        text = (tmp_path / "var" / "RECOVERY-KEY-move-offline.txt").read_text("utf-8")
        recovery = private_key_from_text(
            next(ln for ln in text.splitlines() if ln.startswith("stagemeld-rec"))
        )
        now = container.reports.clock()
        report_id = await file_for(container.keys, container.reports, "hhs", [], now)
        await enrol(container.accounts, "mondriaan-vp", "mondriaan")
        async with container.sessions() as session, session.begin():
            await session.execute(
                update(Report).where(Report.id == report_id).values(visibility="network")
            )
        parts = wiring.recovery(container)
        refused = await recover(parts, recovery, "mondriaan-vp", [report_id])
        assert [o.result for o in refused] == [CONSENT_ALTERED]
        async with container.sessions() as session:
            entries = await session.scalars(
                select(AuditEntry).where(AuditEntry.report_id == report_id)
            )
            assert ("operator", "consent_altered", "recover:mondriaan-vp") in [
                (e.actor, e.action, e.detail) for e in entries
            ]
        forced = await recover(parts, recovery, "mondriaan-vp", [report_id], force_org=True)
        assert [o.result for o in forced] == [RESEALED]
    finally:
        await container.close()


async def test_a_forged_evaluation_is_marked_and_never_quoted(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    """The evaluation text is sealed to the coordinators' public keys (plain columns): a
    writer can seal a quotable "student" text of their own; it carries no proof."""
    w = EvaluationWorld(backend, keys[0], Clock(datetime(2026, 3, 17, 14, 37, tzinfo=UTC)))
    await w.setup()
    report_id = await w.closed_report()
    saved = await w.evaluations.save(
        report_id, score=4, text="Echt van de student.", quote=True, readers=w.readers
    )
    assert saved == "saved"
    forged_report = await w.closed_report()
    month = datetime(2026, 3, 1, tzinfo=UTC)
    async with backend.sessions() as session, session.begin():
        forged_id = uuid.uuid4().hex
        session.add(Evaluation(id=forged_id, report_id=forged_report, month=month, quote=True))
        await session.flush()
        session.add(
            EvaluationCopy(
                evaluation_id=forged_id, recipient_kind="adviser",
                recipient_id=w.me.adviser_id,
                sealed=hpke_seal.seal_evaluation(
                    b"Vertrouwenspersonen zijn nutteloos.", w.readers[0].public_key,
                    evaluation_id=forged_id, quote=True,
                ),
            )
        )  # fmt: skip
    entries = await w.evaluations.entries(w.me)
    assert sorted((e.text, e.altered) for e in entries) == [
        ("Echt van de student.", False),
        ("Vertrouwenspersonen zijn nutteloos.", True),
    ]
    async with backend.sessions() as session:
        quotes = await quotable_evaluations(
            session, keys[0].server, w.me, date(2026, 1, 1), date(2026, 12, 31)
        )
    assert [q.text for q in quotes] == ["Echt van de student."]
