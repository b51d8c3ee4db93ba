"""Company patterns through the real Telegram bot and the Bot API stand-in: two students
name the same company with a yes to matching; the first then sees in /status that the
report is part of a pattern and allows the adviser to share it with the network."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from bot.app.settings import Settings
from standins import BotAPIStandIn
from storage.db.engine import make_engine, session_factory
from storage.db.models import AuditEntry, PatternMember
from tests.support.harness import RECEIPT, TOKEN, RunningService, Student


async def name_the_company(student: Student, name: str, kvk: str = "") -> str:
    """The shortest walk, with a typed company, its KvK number and a yes to matching."""
    await student.say("/start")
    await student.press("no")
    await student.press("interview")
    await student.say("Ze zeiden dat ik met mijn naam niet bij hun klanten paste.")
    await student.press("done")
    await student.press("origin")
    await student.press("next")
    await student.press("month")
    await student.press("hhs")
    await student.say(name)
    await student.press("skip")  # town
    await (student.say(kvk) if kvk else student.press("skip"))
    asked = await student.press("explain")  # what happens with a yes, then the same question
    assert any("vingerafdruk" in t for t in asked), asked
    await student.press("yes")
    await student.press("skip")  # the sector
    await student.press("no")
    await student.press("talk")
    await student.press("school")
    texts = await student.press("submit")
    codes = [m for t in texts if (m := RECEIPT.search(t))]
    await student.press("receipt.saved")
    return "".join(codes[0].groups())


async def test_two_students_one_company_then_status_shows_it_and_sharing_is_allowed(
    make_settings: Callable[..., Settings], api: BotAPIStandIn
) -> None:
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    first, second = Student(api, 5101), Student(api, 5102)
    async with RunningService(settings, api):
        code = await name_the_company(first, "Kapsalon Fatima V.O.F.", kvk="1234 5678")
        await name_the_company(second, "kapsalon  fatima")
        shown = await first.say(f"/status {code}")
        assert any("patroon" in t for t in shown), shown
        assert "status.share_network" in first.offered()
        assert "status.share_sbb" not in first.offered()  # an hbo report: not SBB's
        told = await first.press("status.share_network")
        assert any("Vastgelegd" in t for t in told), told
    engine = make_engine(settings.database.url)
    try:
        async with session_factory(engine)() as session:
            allowed = sorted(await session.scalars(select(PatternMember.share_allowed)))
            logged = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "pattern_share_allowed")
            )
    finally:
        await engine.dispose()
    assert allowed == ["", "network"] and logged == 1
