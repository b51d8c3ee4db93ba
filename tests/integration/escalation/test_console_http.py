"""The console over HTTP, in-process: authorization answers 404 for anything not
sealed to the adviser through every route, sessions end on logout and when idle, every
form needs its CSRF token, failed logins lock the account, and enrolment works from
the one-time link. Acknowledging, hand-overs and the deadlines page:
test_console_http_actions.py."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select
from starlette.routing import Route

from escalation.console import console_app
from storage.crypto import second_factor
from storage.db.models import Message, Report, SealedKey
from tests.support import console_fixtures
from tests.support.case_helpers import PASSPHRASE
from tests.support.console_client import ConsoleWorld
from tests.support.console_fixtures import report_with_attachment

container = console_fixtures.container
world = console_fixtures.world


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
    report_id = await report_with_attachment(world, [hhs])

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
    report_id = await report_with_attachment(world, [hhs])
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
    report_id = await report_with_attachment(world, [hhs])
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
    report_id = await report_with_attachment(world, [hhs])
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
    await report_with_attachment(world, [hhs])
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
    await report_with_attachment(world, [hhs])
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
