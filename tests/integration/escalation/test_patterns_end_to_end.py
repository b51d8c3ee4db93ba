"""End to end through the real filing path and the console: three students from two
schools name the same company (one as a button, one typed "albert heijn bv" without
consent, one with the KvK number); exactly the two consenting reports form a pattern,
the notices go out once, and nobody is shown the company's name who may not see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import wiring
from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from bot.intake.filing import file_draft
from dialogues import Draft
from escalation.console.patterns import shown, suppressed
from storage.db.models import (
    AuditEntry,
    Notification,
    Pattern,
    PatternMember,
    PatternTag,
    SealedKey,
)
from tests.conftest import base_config, save_config
from tests.support.console_client import ConsoleWorld, make_world

KVK = "35012085"
NAMES = ("Albert Heijn B.V.", "albert heijn bv", "AH Zaandam")


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    data = base_config(tmp_path)
    data["smtp"] = {"host": "127.0.0.1", "sender": "stagemeld@example.nl"}  # e-mail: on
    data["organizations"].insert(
        0,
        {
            "id": "albert-heijn",
            "name": "Albert Heijn B.V.",
            "kind": "workplace",
            "kvk": KVK,
            "advisers": [],
        },
    )
    path = tmp_path / "config.yaml"
    save_config(path, data)
    built = await build_container(load_settings(path))
    try:
        yield built
    finally:
        await built.close()


def draft(school: str, workplace: str, **extra: object) -> Draft:
    values: dict[str, object] = {
        "lang": "nl",
        "phase": "during",
        "story": "De teamleider zei dat ik met mijn hoofddoek niet achter de kassa mocht.",
        "grounds": ("religion",),
        "when": "month",
        "school": school,
        "workplace": workplace,
        "evidence": "no",
        "evidence_note": "",
        "wants": "action",
        "visibility": "school",
        "danger": False,
    }
    values.update(extra)
    return Draft(**values)  # type: ignore[arg-type]


async def count(c: Container, model: type, *where: object) -> int:
    async with c.sessions() as session:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def test_three_students_two_schools_one_pattern_of_the_two_who_consented(
    container: Container,
) -> None:
    world: ConsoleWorld = make_world(container)
    hhs, mondriaan = await world.enrol("hhs-vp"), await world.enrol("mondriaan-vp")
    coordinator, sbb = await world.enrol("denhaag-coordinator"), await world.enrol("sbb-adviseur")
    # 1: HHS (hbo), the network's button for Albert Heijn, yes to matching
    button = await file_draft(
        wiring.filing(container),
        draft("hhs", NAMES[0], workplace_org="albert-heijn", pattern_consent=True),
    )
    # 2: ROC Mondriaan (mbo), typed, no to matching
    declined = await file_draft(
        wiring.filing(container), draft("mondriaan", NAMES[1], pattern_consent=False)
    )
    assert await count(container, Pattern) == 0
    # 3: ROC Mondriaan, another name but the KvK number; SBB may see it
    numbered = await file_draft(
        wiring.filing(container),
        draft(
            "mondriaan", NAMES[2], workplace_town="Zaandam", workplace_kvk=KVK,
            pattern_consent=True, visibility="school_and_workplace", recognised="yes",
        ),
    )  # fmt: skip

    async with container.sessions() as session:
        members = set(await session.scalars(select(PatternMember.report_id)))
        notices = sorted(
            (n.kind, n.adviser_id, n.report_id)
            for n in await session.scalars(
                select(Notification).where(Notification.kind.like("pattern%"))
            )
        )
    assert members == {button.report_id, numbered.report_id}
    assert await count(container, PatternTag, PatternTag.report_id == declined.report_id) == 0
    assert notices == sorted(
        [
            ("pattern_match", "hhs-vp", button.report_id),
            ("pattern_match", "mondriaan-vp", numbered.report_id),
            ("pattern_match", "sbb-adviseur", numbered.report_id),  # it holds report 3
            ("pattern_formed", "denhaag-coordinator", numbered.report_id),
            ("pattern_formed", "sbb-adviseur", numbered.report_id),  # mbo, SBB allowed
        ]
    )
    assert await count(container, AuditEntry, AuditEntry.action == "pattern_release") == 1

    # The student sees it in /status and allows sharing with the network.
    view = await container.student.view(button.receipt)
    assert view is not None and view.pattern and view.may_share == ("network",)
    other = await container.student.view(declined.receipt)
    assert other is not None and not other.pattern and other.may_share == ()
    mbo = await container.student.view(numbered.receipt)
    assert mbo is not None and mbo.may_share == ("network", "sbb")
    assert await container.student.allow_share(button.report_id, "network")
    assert not await container.student.allow_share(declined.report_id, "network")

    async with world.client() as c:
        assert (await world.login(c, coordinator)).status_code == 303
        page = (await c.get("/console/patterns")).text
        assert "&lt; 5" in page and "Patroon van 2 meldingen" in page  # suppressed counts
        assert not any(n.lower() in page.lower() for n in ("albert", "heijn", "zaandam", KVK))
    world.step()

    async with world.client() as c:  # the adviser of report 2 and 3: one marker
        assert (await world.login(c, mondriaan)).status_code == 303
        listed = (await c.get("/console/reports")).text
        assert listed.count('class="tag pattern"') == 1
        assert "pattern/name" not in (await c.get(f"/console/reports/{declined.report_id}")).text
        assert (await c.get("/console/patterns")).status_code == 404  # not a coordinator
        form = await world.csrf_form(c, "/console/reports")
        foreign = await c.post(f"/console/reports/{button.report_id}/pattern/name", data=form)
        assert foreign.status_code == 404  # report 1 is not sealed to them
        declined_name = await c.post(
            f"/console/reports/{declined.report_id}/pattern/name", data=form
        )
        assert "error=no_pattern" in declined_name.headers["location"]
    world.step()

    async with world.client() as c:  # the adviser of report 1 shares the name and the report
        assert (await world.login(c, hhs)).status_code == 303
        page = await c.get(f"/console/reports/{button.report_id}")  # type: ignore[assignment]
        assert "pattern/name" in page.text and "share-report-network" in page.text  # type: ignore[attr-defined]
        form = await world.csrf_form(c, f"/console/reports/{button.report_id}")
        shared = await c.post(f"/console/reports/{button.report_id}/pattern/name", data=form)
        assert shared.status_code == 303 and "done=name_shared" in shared.headers["location"]
        moved = await c.post(
            f"/console/reports/{button.report_id}/pattern/share",
            data={**form, "target": "network"},
        )
        assert moved.status_code == 303 and "done=report_shared" in moved.headers["location"]
        refused = await c.post(
            f"/console/reports/{button.report_id}/pattern/share", data={**form, "target": "sbb"}
        )
        assert "error=not_allowed" in refused.headers["location"]  # the student did not
    world.step()

    async with world.client() as c:
        assert (await world.login(c, coordinator)).status_code == 303
        page = (await c.get("/console/patterns")).text
        assert "Albert Heijn B.V." in page and "Zaandam" not in page  # only what was shared
        assert button.report_id in (await c.get("/console/reports")).text  # shared with them
    world.step()

    async with world.client() as c:  # SBB sees the pattern (report 3 allows it), no name
        assert (await world.login(c, sbb)).status_code == 303
        page = (await c.get("/console/patterns")).text
        assert "Patroon van 2 meldingen" in page and "Albert" not in page

    async with container.sessions() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("pattern%"))
            )
        )
        to_coordinator = await session.scalar(
            select(func.count())
            .select_from(SealedKey)
            .where(
                SealedKey.report_id == button.report_id,
                SealedKey.recipient_id == "denhaag-coordinator",
            )
        )
    assert sorted(actions) == sorted(
        [
            "pattern_release",
            "pattern_share_allowed",
            "pattern_name_shared",
            "pattern_report_shared",
            "patterns_view",
            "patterns_view",
            "patterns_view",
        ]
    )
    assert to_coordinator == 1
    assert await count(container, Pattern) == 1  # still one: nothing released twice


def test_small_counts_are_suppressed_like_the_statistics() -> None:
    assert [shown(n) for n in (1, 4, 5, 12)] == ["< 5", "< 5", "5", "12"]
    assert suppressed({"hhs": 1, "mondriaan": 7, "inholland": 7}) == [
        ("inholland", "7"),
        ("mondriaan", "7"),
        ("hhs", "< 5"),
    ]
