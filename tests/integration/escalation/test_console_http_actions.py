"""The console over HTTP, in-process, an adviser acting: a first visit is not told its
session expired, acknowledging is a button, a student's reply is flagged with its
deadline, organizations added or moved to read and hand back, the Dutch audit page has
no English, and coordinators filter and sort the deadlines."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from storage.db.models import Deadline, Message, Report
from tests.support import console_fixtures
from tests.support.case_helpers import file_for
from tests.support.console_client import ConsoleWorld
from tests.support.console_fixtures import report_with_attachment

container = console_fixtures.container
world = console_fixtures.world


# --- acknowledging, students' replies, hand-overs, words and the deadlines page ---------


def _fact(page: str, key: str) -> str:
    found = re.search(rf'id="fact-{key}"[^>]*>([^<]*)<', page)
    assert found, f"no fact {key}"
    return html.unescape(found.group(1))


async def _post(
    world: ConsoleWorld, client: httpx.AsyncClient, report_id: str, action: str, **fields: str
) -> httpx.Response:
    url = f"/console/reports/{report_id}"
    form = await world.csrf_form(client, url)
    return await client.post(f"{url}/{action}", data={**form, **fields})


async def test_a_first_visit_is_not_told_its_session_expired(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    async with world.client() as fresh:
        for path in ("/console", "/console/"):
            first = await fresh.get(path, follow_redirects=True)
            assert first.status_code == 200 and 'action="/console/login"' in first.text
            assert "verlopen" not in first.text
        # Having seen the login form is not an expired session either.
        again = await fresh.get("/console/reports", follow_redirects=True)
        assert "verlopen" not in again.text
    async with world.client() as idle:
        await world.login(idle, hhs)
        world.clock.advance(timedelta(minutes=31))
        expired = await idle.get("/console/reports", follow_redirects=True)
        assert "Je sessie is verlopen" in expired.text


async def test_acknowledging_is_a_button_opening_alone_is_not_enough(
    world: ConsoleWorld,
) -> None:
    hhs = await world.enrol("hhs-vp")
    report_id = await report_with_attachment(world, [hhs])
    async with world.client() as client:
        await world.login(client, hhs)
        page = (await client.get(f"/console/reports/{report_id}")).text
        assert 'id="acknowledge"' in page
        assert "Alleen openen en lezen telt niet" in page  # what counts, said on the page
        assert _fact(page, "acknowledged") == "nog niet"
        assert _fact(page, "status") == "Ontvangen"
        async with world.container.sessions() as session:
            report = await session.get(Report, report_id)
        assert report is not None and report.acknowledged_at is None  # opened, read, not acked

        done = await _post(world, client, report_id, "acknowledge")
        assert done.status_code == 303 and "done=acknowledged_now" in done.headers["location"]
        page = (await client.get(f"/console/reports/{report_id}")).text
        assert _fact(page, "status") == "In behandeling"
        assert _fact(page, "acknowledged") != "nog niet"
        assert _fact(page, "deadline-acknowledge").startswith("gehaald")
        assert 'id="acknowledge"' not in page
        twice = await _post(world, client, report_id, "acknowledge")
        assert "error=already_acknowledged" in twice.headers["location"]


async def test_a_students_reply_is_flagged_in_the_list_with_its_deadline(
    world: ConsoleWorld,
) -> None:
    hhs = await world.enrol("hhs-vp")
    report_id = await report_with_attachment(world, [hhs])
    async with world.client() as client:
        await world.login(client, hhs)
        assert "Student antwoordde" not in (await client.get("/console/reports")).text
        assert await world.container.student.answer(report_id, "Wanneer hoor ik iets?")
        listed = (await client.get("/console/reports")).text
        assert "Student antwoordde — antwoord uiterlijk" in listed
        page = (await client.get(f"/console/reports/{report_id}")).text
        assert _fact(page, "deadline-reply").startswith("uiterlijk")
        await _post(world, client, report_id, "message", text="Deze week nog.")
        assert "Student antwoordde" not in (await client.get("/console/reports")).text


async def test_an_added_organization_reads_too_and_can_hand_back(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    mondriaan = await world.enrol("mondriaan-vp")
    report_id = await report_with_attachment(world, [hhs])
    async with world.client() as mine:
        await world.login(mine, hhs)
        page = (await mine.get(f"/console/reports/{report_id}")).text
        assert 'id="handover-add"' in page and 'id="handover-org"' in page
        assert 'id="handover-back"' not in page  # filed here: nothing to hand back
        added = await _post(world, mine, report_id, "handover/add", org="mondriaan")
        assert "done=org_added" in added.headers["location"]
        page = (await mine.get(f"/console/reports/{report_id}")).text
        assert _fact(page, "now_with") == "De Haagse Hogeschool, ROC Mondriaan"
    world.step()
    async with world.client() as theirs:
        await world.login(theirs, mondriaan)
        page = (await theirs.get(f"/console/reports/{report_id}")).text
        assert "Ze lachten om mijn hoofddoek." in page
        assert _fact(page, "filed_with") == "De Haagse Hogeschool"
        assert "Teruggeven aan De Haagse Hogeschool" in page
        back = await _post(world, theirs, report_id, "handover/back")
        assert back.headers["location"] == "/console/reports?done=handed_back"
        assert (await theirs.get(f"/console/reports/{report_id}")).status_code == 404
    assert await _events(world, report_id) == ["handover_org_added", "handed_back"]


async def test_a_moved_report_shows_where_it_was_filed_and_goes_back(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    mondriaan = await world.enrol("mondriaan-vp")
    report_id = await report_with_attachment(world, [hhs])
    async with world.client() as mine:
        await world.login(mine, hhs)
        moved = await _post(world, mine, report_id, "handover/org", org="mondriaan")
        assert moved.headers["location"] == "/console/reports?done=handed_over"
        assert (await mine.get(f"/console/reports/{report_id}")).status_code == 404
    world.step()
    async with world.client() as theirs:
        await world.login(theirs, mondriaan)
        page = (await theirs.get(f"/console/reports/{report_id}")).text
        assert _fact(page, "filed_with") == "De Haagse Hogeschool"
        assert _fact(page, "now_with") == "ROC Mondriaan"
        assert _fact(page, "handed_from") == "De Haagse Hogeschool"
        back = await _post(world, theirs, report_id, "handover/back")
        assert back.headers["location"] == "/console/reports?done=handed_back"
    world.step()
    async with world.client() as mine:
        await world.login(mine, hhs)
        page = (await mine.get(f"/console/reports/{report_id}")).text
        assert _fact(page, "now_with") == "De Haagse Hogeschool"
        assert 'id="fact-handed_from"' not in page
    assert await _events(world, report_id) == ["handover_org", "handed_back"]


async def _events(world: ConsoleWorld, report_id: str) -> list[str | None]:
    async with world.container.sessions() as session:
        rows = await session.scalars(
            select(Message.event)
            .where(Message.report_id == report_id, Message.author_kind == "event")
            .order_by(Message.created_at)
        )
        return list(rows)


def _english_only() -> set[str]:
    """Every English console label that is not also a Dutch one, and the raw codes an
    untranslated label would show."""
    from escalation.console.texts import table

    nl, en = table("nl"), table("en")
    groups = ("action.", "status.", "outcome.", "actor.", "deadline.", "report.level")
    labels = {v for k, v in en.items() if k.startswith(groups) and v not in nl.values()}
    codes = {k.split(".", 1)[1] for k in en if k.startswith(("action.", "status."))}
    dutch = {w for v in nl.values() for w in re.findall(r"\w+", v.lower())}  # "status"
    return {x for x in labels | codes if len(x) > 3 and x.lower() not in dutch}


async def test_the_dutch_audit_page_has_no_english_words(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    await world.enrol("mondriaan-vp")
    report_id = await report_with_attachment(world, [hhs])
    async with world.client() as client:
        await world.login(client, hhs)
        await client.get(f"/console/reports/{report_id}/pdf")
        await client.get(f"/console/reports/{report_id}/attachments/a1")
        await _post(world, client, report_id, "acknowledge")
        await _post(world, client, report_id, "note", text="bellen")
        await _post(world, client, report_id, "message", text="Hoi")
        assert await world.container.student.answer(report_id, "Dank je")
        await _post(world, client, report_id, "status", status="waiting")
        await _post(world, client, report_id, "handover/add", org="mondriaan")
        await _post(world, client, report_id, "status", status="closed", outcome="advised")
        page = await client.get(f"/console/reports/{report_id}/audit")
    table_html = page.text.split('<table class="audit">', 1)[1].split("</table>", 1)[0]
    shown = html.unescape(re.sub(r"<[^>]+>", " ", table_html))
    assert "ontvangst bevestigd" in shown and "Afgesloten: Advies gegeven" in shown
    assert "ROC Mondriaan" in shown and "bericht van student" in shown
    found = sorted(word for word in _english_only() if re.search(rf"\b{re.escape(word)}\b", shown))
    assert not found, found


async def test_coordinators_filter_and_sort_the_deadlines_page(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    mondriaan = await world.enrol("mondriaan-vp")
    coordinator = await world.enrol("denhaag-coordinator")
    early = await file_for(
        world.container.keys, world.container.reports, "hhs", [hhs], world.clock()
    )
    late = await file_for(
        world.container.keys, world.container.reports, "mondriaan", [mondriaan],
        world.clock() - timedelta(days=5),
    )  # fmt: skip
    async with world.container.sessions() as session, session.begin():
        refs = {r.id: r.reference for r in await session.scalars(select(Report))}
        for d in await session.scalars(select(Deadline).where(Deadline.report_id == late)):
            d.level = 2
    early_ref, late_ref = refs[early], refs[late]

    def order(text: str) -> list[str]:
        return re.findall(r'data-reference="([^"]+)"', text)

    async with world.client() as client:
        await world.login(client, coordinator)
        everything = (await client.get("/console/overview")).text
        assert order(everything) == [late_ref, early_ref]  # default: the next due first
        only_hhs = (await client.get("/console/overview?org=hhs")).text
        assert order(only_hhs) == [early_ref]
        step = (await client.get("/console/overview?step=2")).text
        assert order(step) == [late_ref]
        assert order((await client.get("/console/overview?step=1")).text) == []
        by_due_desc = (await client.get("/console/overview?sort=due&dir=desc")).text
        assert order(by_due_desc) == [early_ref, late_ref]
        by_org = (await client.get("/console/overview?sort=org&dir=asc")).text
        assert order(by_org) == [early_ref, late_ref]  # De Haagse … before ROC Mondriaan
        by_org_desc = (await client.get("/console/overview?sort=org&dir=desc")).text
        assert order(by_org_desc) == [late_ref, early_ref]
        assert 'aria-sort="descending"' in by_org_desc
