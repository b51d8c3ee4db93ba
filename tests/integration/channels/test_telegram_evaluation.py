"""The evaluation after closing, end to end in Telegram: a report filed through the real
bot (the sector skipped, within 15 taps), closed by its adviser through the console's
storage, and the student's next /status asks for an evaluation of the follow-up; the
answer is saved once, sealed to the network coordinator, and a second /status does not
ask again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.app.container import Container
from bot.app.settings import Settings
from standins import BotAPIStandIn
from storage.db.models import Evaluation, Report
from storage.repositories.accounts.credentials import LoggedIn, make_credentials
from storage.repositories.evaluations import quotable_evaluations
from tests.support.harness import RunningService, Student, file_report

CHAT = 6262
PASSPHRASE = "een lange wachtzin voor de console"
WISH = "EVALUATIONMARK Bel sneller terug na een melding."


async def enrol(container: Container, adviser_id: str, org_id: str) -> LoggedIn:
    """What enrolment leaves behind, and the unlocked key a console session holds."""
    new = make_credentials(PASSPHRASE, container.keys.kdf)
    assert await container.accounts.enrol_directly(adviser_id, org_id, new) is None
    private = await container.accounts._unlock(new.protected_private_key, PASSPHRASE)
    assert private is not None
    return LoggedIn(adviser_id, private)


def grouped(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, 16, 4))


async def test_closing_a_report_asks_its_student_for_an_evaluation_at_status(
    api: BotAPIStandIn, settings: Settings
) -> None:
    student = Student(api, CHAT)
    service = RunningService(settings, api)
    async with service:
        container = service.containers[0]
        adviser = await enrol(container, "hhs-vp", "hhs")
        coordinator = await enrol(container, "denhaag-coordinator", "gemeente-den-haag")
        code = await file_report(student)
        assert student.inputs <= 15  # the sector question fits in the same taps

        # The console side: the adviser closes the report with an outcome.
        async with container.sessions() as session:
            report_id = await session.scalar(select(Report.id))
        assert report_id is not None
        closed = await container.cases.actions.set_status(
            adviser.adviser_id, adviser.private_key, report_id, "closed", "resolved"
        )
        assert closed is None

        texts = await student.say(f"/status {grouped(code)}")
        assert student.offered() == [f"feedback.{n}" for n in range(1, 6)] + ["feedback.skip"]
        assert any("afgesloten" in t for t in texts), texts
        await student.press("feedback.4")
        await student.say(WISH)
        assert student.offered() == ["feedback.quote", "feedback.private"]
        thanks = await student.press("feedback.quote")
        assert any("Dank je wel" in t for t in thanks), thanks

        async with container.sessions() as session:
            report = await session.get(Report, report_id)
            rows = (await session.scalars(select(Evaluation))).all()
            assert report is not None and report.evaluation_score == 4
            assert report.sector is None  # skipped on the shortest way
            assert [(r.report_id, r.quote) for r in rows] == [(report_id, True)]
            today = datetime.now(UTC).date()
            quotes = await quotable_evaluations(
                session,
                container.keys.server,
                coordinator,
                date(today.year - 1, 1, 1),
                date(today.year + 1, 12, 31),
            )
        assert [q.text for q in quotes] == [WISH]
        entries = await container.evaluations.entries(coordinator)
        assert [(e.text, e.quote, e.score, e.org_id) for e in entries] == [(WISH, True, 4, "hhs")]

        # Asked once: the next /status shows the status only.
        await student.say(f"/status {grouped(code)}")
        assert student.offered() == ["status.close"]
    # Nothing of the text in the database file, its -wal, or the logs.
    var = settings.keys.dir.parent
    for path in var.rglob("*"):
        if path.is_file():
            assert b"EVALUATIONMARK" not in path.read_bytes(), path
