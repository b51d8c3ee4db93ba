"""The console over HTTP, in-process: authorization answers 404 for anything not
sealed to the adviser through every route, sessions end on logout and when idle, every
form needs its CSRF token, failed logins lock the account, and enrolment works from
the one-time link."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from starlette.routing import Route

from bot.app.container import Container
from escalation.console import console_app
from storage.crypto import proofs, second_factor, thread
from storage.db.models import Attachment, Deadline, Message, Report, SealedKey
from tests.support.case_helpers import PASSPHRASE, file_for
from tests.support.console_client import ConsoleWorld, console_container, make_world


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    async with console_container(tmp_path) as built:
        yield built


@pytest.fixture
def world(container: Container) -> ConsoleWorld:
    return make_world(container)


async def _report_with_attachment(world: ConsoleWorld, readers: list[object]) -> str:
    report_id = await file_for(
        world.container.keys, world.container.reports, "hhs", readers, world.clock(),  # type: ignore[arg-type]
        visibility="network",
    )  # fmt: skip
    async with world.container.sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        assert report is not None and report.public_key is not None
        session.add(proofs.prove_attachment(
            world.container.keys.server,
            Attachment(
                id="a1", report_id=report_id, created_at=world.clock(),
                sealed=thread.seal_file(
                    report.public_key, report_id, "a1",
                    thread.FileContent("bewijs.txt", "text/html", b"<script>x</script>"),
                ),
            ),
        ))  # fmt: skip
    return report_id


async def _count(world: ConsoleWorld, model: type, **where: object) -> int:
    async with world.container.sessions() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await session.scalar(query) or 0)


def _routes(report_id: str) -> list[str]:
    base = f"/console/reports/{report_id}"
    return [base, f"{base}/pdf", f"{base}/audit", f"{base}/attachments/a1"]


async def test_the_own_adviser_gets_everything_and_another_organization_gets_404(
    world: ConsoleWorld,
) -> None:
    hhs = await world.enrol("hhs-vp")
    other = await world.enrol("mondriaan-vp")
    report_id = await _report_with_attachment(world, [hhs])

    async with world.client() as mine:
        assert (await world.login(mine, hhs)).status_code == 303
        listed = await mine.get("/console/reports")
        assert listed.status_code == 200 and report_id in listed.text
        page = await mine.get(f"/console/reports/{report_id}")
        assert page.status_code == 200 and "Ze lachten om mijn hoofddoek." in page.text
        assert "content-security-policy" in page.headers
        assert page.headers["cache-control"] == "no-store"
        pdf = await mine.get(f"/console/reports/{report_id}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        audit = await mine.get(f"/console/reports/{report_id}/audit")
        assert audit.status_code == 200
        file = await mine.get(f"/console/reports/{report_id}/attachments/a1")
        assert file.status_code == 200 and file.content == b"<script>x</script>"
        # A student's file is never rendered in the console.
        assert file.headers["content-type"] == "application/octet-stream"
        assert file.headers["content-disposition"].startswith("attachment;")

    async with world.client() as theirs:
        assert (await world.login(theirs, other)).status_code == 303
        assert report_id not in (await theirs.get("/console/reports")).text
        missing = await theirs.get("/console/reports/" + "0" * 32)
        for path in _routes(report_id):
            response = await theirs.get(path)
            assert response.status_code == 404, path
            assert response.text == missing.text  # indistinguishable from "does not exist"
        csrf = (await world.csrf_form(theirs, "/console/reports"))["csrf"]
        before = await _count(world, Message)
        posts = {
            "message": {"text": "hallo"},
            "note": {"text": "notitie"},
            "status": {"status": "closed", "outcome": "resolved"},
            "handover/colleague": {"adviser": "mondriaan-vp"},
            "handover/org": {"org": "mondriaan"},
        }
        for action, fields in posts.items():
            response = await theirs.post(
                f"/console/reports/{report_id}/{action}", data={"csrf": csrf, **fields}
            )
            assert response.status_code == 404, action
        assert await _count(world, Message) == before
        assert await _count(world, SealedKey, recipient_id="mondriaan-vp") == 0
        async with world.container.sessions() as session:
            report = await session.get(Report, report_id)
        assert report is not None and report.status == "received"


async def test_without_a_live_session_nothing_is_served(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    report_id = await _report_with_attachment(world, [hhs])
    async with world.client() as anonymous:
        for path in [*_routes(report_id), "/console/reports", "/console/notices"]:
            response = await anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/console/login")
    async with world.client() as client:
        await world.login(client, hhs)
        assert (await client.get(f"/console/reports/{report_id}")).status_code == 200
        stolen = dict(client.cookies)
        form = await world.csrf_form(client, "/console/reports")
        bye = await client.post("/console/logout", data=form)
        assert bye.status_code == 303
        assert (await client.get(f"/console/reports/{report_id}")).status_code == 303
    async with world.client() as replay:  # the old cookie is worth nothing now
        replay.cookies.update(stolen)
        assert (await replay.get(f"/console/reports/{report_id}")).status_code == 303
    world.step()
    async with world.client() as idle:
        await world.login(idle, hhs)
        world.clock.advance(timedelta(minutes=29))
        assert (await idle.get("/console/reports")).status_code == 200
        world.clock.advance(timedelta(minutes=31))
        expired = await idle.get(f"/console/reports/{report_id}")
        assert expired.status_code == 303 and "expired" in expired.headers["location"]


# Reachable without signing in; every other route of the console wants an adviser.
PUBLIC = {
    "/", "/login", "/logout", "/enrol/{token}", "/enrol/{token}/confirm", "/recover",
    "/recover/confirm",
}  # fmt: skip


async def test_every_other_route_sends_a_visitor_to_the_login_page(world: ConsoleWorld) -> None:
    """Found in the app itself, so a route added later is covered too; a POST is refused
    before its form is read, even one carrying the anonymous session's valid CSRF token."""
    hhs = await world.enrol("hhs-vp")
    report_id = await _report_with_attachment(world, [hhs])
    guarded = [
        (route.path, method)
        for route in console_app(world.console).routes
        if isinstance(route, Route) and route.path not in PUBLIC
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]
    assert len(guarded) >= 12, guarded
    fields = {"text": "hallo", "status": "waiting", "adviser": "hhs-vp2", "org": "mondriaan"}
    for with_session in (False, True):
        async with world.client() as visitor:
            form = await world.csrf_form(visitor, "/console/login") if with_session else {}
            for path, method in guarded:
                url = "/console" + path.format(report_id=report_id, attachment_id="a1")
                data = {**form, **fields} if method == "POST" else None
                response = await visitor.request(method, url, data=data)
                assert response.status_code == 303, (method, path, response.status_code)
                # Never signed in: a plain login, no "your session expired".
                assert response.headers["location"] == "/console/login", path
    assert await _count(world, Message) == 0
    assert await _count(world, SealedKey, recipient_id="hhs-vp2") == 0
    async with world.container.sessions() as session:
        report = await session.get(Report, report_id)
    assert report is not None and report.status == "received"


async def test_a_missing_or_wrong_csrf_token_changes_nothing(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    report_id = await _report_with_attachment(world, [hhs])
    async with world.client() as client:
        await world.login(client, hhs)
        url = f"/console/reports/{report_id}"
        for data in ({"text": "hallo"}, {"text": "hallo", "csrf": "wrong"}):
            for action in ("message", "note"):
                response = await client.post(f"{url}/{action}", data=data)
                assert response.status_code == 403
            response = await client.post(f"{url}/status", data={**data, "status": "waiting"})
            assert response.status_code == 403
        logout = await client.post("/console/logout", data={"csrf": "wrong"})
        assert logout.status_code == 403
        assert await _count(world, Message) == 0
        assert (await client.get(url)).status_code == 200  # still logged in
        form = await world.csrf_form(client, url)
        ok = await client.post(f"{url}/message", data={**form, "text": "Dank je."})
        assert ok.status_code == 303 and await _count(world, Message) == 1
    async with world.client() as fresh:  # a login form needs its token too
        login = await fresh.post(
            "/console/login",
            data={"email": "vertrouwenspersoon@hhs.example.nl", "passphrase": PASSPHRASE,
                  "code": second_factor.totp_code(hhs.totp_secret, world.clock())},
        )  # fmt: skip
        assert login.status_code == 403


async def test_repeated_failures_lock_the_login(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    async with world.client() as client:
        for _ in range(2):
            wrong = await world.login(client, hhs, passphrase="helemaal verkeerd")
            assert wrong.status_code == 401
        locked = await world.login(client, hhs, passphrase="helemaal verkeerd")
        assert locked.status_code == 429 and 'id="login-error"' in locked.text
        right = await world.login(client, hhs)
        assert right.status_code == 429
        assert (await client.get("/console/reports")).status_code == 303
        unknown = await world.login(client, hhs, email="niemand@example.nl")
        assert unknown.status_code == 401


async def test_enrolment_from_the_one_time_link(world: ConsoleWorld) -> None:
    token = await world.console.accounts.create_link("hhs-vp")
    assert isinstance(token, str)
    async with world.client() as client:
        assert (await client.get("/console/enrol/not-a-token")).status_code == 404
        form = await world.csrf_form(client, f"/console/enrol/{token}")
        differ = await client.post(
            f"/console/enrol/{token}", data={**form, "passphrase": PASSPHRASE, "again": "x"}
        )
        assert differ.status_code == 400
        totp = await client.post(
            f"/console/enrol/{token}",
            data={**form, "passphrase": PASSPHRASE, "again": PASSPHRASE},
        )
        assert totp.status_code == 200 and 'src="data:image/svg+xml' in totp.text
        found = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', totp.text)
        assert found
        secret = found.group(1).replace(" ", "")
        done = await client.post(
            f"/console/enrol/{token}/confirm",
            data={**form, "code": second_factor.totp_code(secret, world.clock())},
        )
        assert done.status_code == 200
        code = re.search(r'id="recovery-code"[^>]*>([A-Z2-7-]+)<', done.text)
        assert code
        assert (await client.get(f"/console/enrol/{token}")).status_code == 404  # used
    world.step()
    from tests.support.case_helpers import Enrolled

    who = Enrolled("hhs-vp", "hhs", secret, code.group(1), b"")
    async with world.client() as client:
        assert (await world.login(client, who)).status_code == 303
        assert (await client.get("/console/reports")).status_code == 200


async def test_coordinators_see_deadlines_without_content(world: ConsoleWorld) -> None:
    hhs = await world.enrol("hhs-vp")
    coordinator = await world.enrol("denhaag-coordinator")
    await _report_with_attachment(world, [hhs])
    async with world.client() as client:
        await world.login(client, coordinator)
        overview = await client.get("/console/overview")
        assert overview.status_code == 200
        assert "De Haagse Hogeschool" in overview.text
        assert "hoofddoek" not in overview.text
    async with world.client() as client:
        await world.login(client, hhs)
        assert (await client.get("/console/overview")).status_code == 404


async def test_the_overview_shows_the_audit_head_and_a_cut_tail(world: ConsoleWorld) -> None:
    """The coordinators' page shows the audit head (to write down or mail), and says so
    when the database's tail no longer matches the anchor in keys.dir (the last two
    entries deleted and `audit_head` rewritten with plain SQL)."""
    from sqlalchemy import delete, update

    from storage.db.models import AuditEntry, AuditHead

    hhs = await world.enrol("hhs-vp")
    coordinator = await world.enrol("denhaag-coordinator")
    await _report_with_attachment(world, [hhs])
    async with world.client() as client:
        await world.login(client, coordinator)
        overview = await client.get("/console/overview")
        assert overview.status_code == 200
        head = re.search(
            r'id="audit-head">[^<]*?(\d+), ([0-9a-f]{4}( [0-9a-f]{4}){3})', overview.text
        )
        assert head, overview.text
        assert 'id="audit-broken"' not in overview.text
        async with world.container.sessions() as session, session.begin():
            newest = await session.scalar(select(func.max(AuditEntry.seq)))
            assert newest is not None and newest >= 3
            keep = await session.get(AuditEntry, newest - 2)
            assert keep is not None
            await session.execute(delete(AuditEntry).where(AuditEntry.seq > newest - 2))
            await session.execute(update(AuditHead).values(seq=keep.seq, mac=keep.mac))
        overview = await client.get("/console/overview")
        assert overview.status_code == 200
        assert 'id="audit-broken"' in overview.text and "(cut)" in overview.text


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
    report_id = await _report_with_attachment(world, [hhs])
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
    report_id = await _report_with_attachment(world, [hhs])
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
    report_id = await _report_with_attachment(world, [hhs])
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
    report_id = await _report_with_attachment(world, [hhs])
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
    report_id = await _report_with_attachment(world, [hhs])
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
