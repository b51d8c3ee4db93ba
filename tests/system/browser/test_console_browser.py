"""The console in a real browser (Debian's Chromium via Playwright): a report filed
through the Telegram stand-in is enrolled for, logged into with TOTP, opened, answered,
handed to a colleague, downloaded as PDF and closed — and the student, nudged in the
chat, reads the answer with /status and the receipt."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, Route

from bot.app.container import build_container
from bot.app.runtime import serve
from bot.app.settings import Settings, load_settings
from standins import BotAPIStandIn
from storage.crypto import second_factor
from tests.conftest import base_config, save_config
from tests.support import browser as browser_fixture
from tests.support.case_helpers import PASSPHRASE as PASSPHRASE_CASES
from tests.support.harness import TOKEN, Student, cli, file_report

browser = browser_fixture.browser
PASSPHRASE = "een lange wachtzin in de browser"
COLLEAGUE_PASSPHRASE = "de wachtzin van de collega"
ANSWER = "Dank voor je melding. Wil je dat we bellen?"


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin


def settings_for(tmp_path: Path, api: BotAPIStandIn) -> Settings:
    data = base_config(tmp_path)
    data["telegram"] |= {"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    hhs = next(o for o in data["organizations"] if o["id"] == "hhs")
    hhs["advisers"].append({"id": "hhs-vp2", "name": "Collega HHS", "email": "vp2@hhs.example.nl"})
    path = tmp_path / "config.yaml"
    save_config(path, data)
    return load_settings(path)


def code(secret: str, offset: int = 0) -> str:
    return second_factor.totp_code(secret, datetime.now(UTC) + timedelta(seconds=30 * offset))


async def only_loopback(route: Route, request: Request) -> None:
    if re.match(r"^(https?://127\.0\.0\.1[:/]|data:)", request.url):
        await route.continue_()
    else:  # the console loads nothing from anywhere else
        await route.abort()
        raise AssertionError(f"request left 127.0.0.1: {request.url}")


async def login(page: Page, url: str, email: str, passphrase: str, secret: str) -> None:
    await page.goto(f"{url}/console/login")
    await page.get_by_label("E-mailadres").fill(email)
    await page.get_by_label("Wachtzin").fill(passphrase)
    await page.get_by_label("Code uit je authenticator-app").fill(code(secret))
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(f"{url}/console/reports")


async def test_an_adviser_takes_a_report_from_enrolment_to_closing(
    browser: Browser, api: BotAPIStandIn, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, api)
    config = tmp_path / "config.yaml"
    link = cli(config, "adviser", "add", "--adviser", "hhs-vp")
    assert link.returncode == 0, link.stderr
    token = link.stdout.strip().rsplit("/", 1)[-1]
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    service = asyncio.create_task(serve(settings, stop, ready=ready))
    try:
        url = await asyncio.wait_for(ready, 30)
        assert url is not None
        await api.wait_for_calls(lambda c: c.method.lower() == "getupdates", timeout=20)
        context = await browser.new_context(accept_downloads=True)
        page = await context.new_page()
        await page.route("**/*", only_loopback)
        secret = await _enrol(page, url, token)
        # Filed after enrolment: a report is sealed to the advisers who have a key then.
        student = Student(api, 4343)
        receipt = await file_report(
            student, story="Ze wilden mij niet met mijn hoofddoek.", submit="submit.push"
        )
        # A colleague who enrols later does not have it until it is handed to them.
        colleague = await asyncio.to_thread(
            cli, config, "adviser", "add", "--passphrase-stdin", "--adviser", "hhs-vp2",
            stdin=COLLEAGUE_PASSPHRASE + "\n",
        )  # fmt: skip
        # Their key now, their account (TOTP, recovery code) at the link, for them alone.
        found = re.search(r"/console/enrol/(\S+)", colleague.stdout)
        assert found and "TOTP" not in colleague.stdout, colleague.stdout
        colleague_context = await browser.new_context()
        colleague_page = await colleague_context.new_page()
        await colleague_page.route("**/*", only_loopback)
        colleague_secret = await _enrol(
            colleague_page, url, found.group(1), COLLEAGUE_PASSPHRASE, given=COLLEAGUE_PASSPHRASE
        )
        await colleague_context.close()
        mark = api.mark(4343)
        await _adviser_flow(browser, page, url, secret, colleague_secret)
        await context.close()
        # The student asked to be told: a content-free nudge arrived in the chat...
        nudges = await api.wait_for_texts(4343, 1, since=mark, timeout=15)
        assert any("/status" in t for t in nudges) and not any(ANSWER in t for t in nudges)
        # ... and /status with the receipt shows the adviser's answer.
        shown = await student.say(f"/status {' '.join(receipt[i : i + 4] for i in (0, 4, 8, 12))}")
        assert any(ANSWER in t for t in shown), shown
    finally:
        stop.set()
        await asyncio.wait_for(service, 30)

    container = await build_container(settings)
    try:
        seen = await container.student.view(receipt)
        assert seen is not None and seen.status == "closed"
        assert ANSWER in [entry.text for entry in seen.thread]
        events = {e.event for e in seen.thread}
        assert {"status_in_progress", "handover_colleague", "status_closed"} <= events
    finally:
        await container.close()


async def _enrol(
    page: Page, url: str, token: str, passphrase: str = PASSPHRASE, given: str | None = None
) -> str:
    """Enrol from the one-time link; returns the TOTP secret shown. `given`: the operator
    made the key with that passphrase (`adviser add --passphrase-stdin`)."""
    await page.goto(f"{url}/console/enrol/{token}")
    if given is not None:
        await page.get_by_label("Wachtzin die je van de beheerder kreeg").fill(given)
    await page.get_by_label("Wachtzin (minstens 12 tekens)").fill(passphrase)
    await page.get_by_label("Wachtzin nog een keer").fill(passphrase)
    await page.get_by_role("button", name="Verder").click()
    await page.get_by_alt_text("QR-code voor je authenticator-app").wait_for()
    secret = (await page.locator("#totp-secret").inner_text()).replace(" ", "")
    # The previous step's code is accepted too (clock drift); using it leaves the
    # current step free for the login right after.
    await page.get_by_label("Code die de app nu toont").fill(code(secret, -1))
    await page.get_by_role("button", name="Bevestigen").click()
    recovery = await page.locator("#recovery-code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){4}", recovery)
    return secret


async def _adviser_flow(
    browser: Browser, page: Page, url: str, secret: str, colleague_secret: str
) -> None:
    await login(page, url, "vertrouwenspersoon@hhs.example.nl", PASSPHRASE, secret)
    rows = page.locator("table.cases tbody tr")
    assert await rows.count() == 1
    await rows.first.get_by_role("link").click()
    await page.get_by_text("Ze wilden mij niet met mijn hoofddoek.").wait_for()

    # Acknowledge: an explicit button (opening it was not enough); the status follows.
    assert "Ontvangen" in await page.locator("#fact-status").inner_text()
    await page.locator("#acknowledge").click()
    await page.locator("#done").wait_for()
    assert "In behandeling" in await page.locator("#fact-status").inner_text()

    # Answer the student.
    await page.locator("#message-text").fill(ANSWER)
    await page.locator("#send-message").click()
    await page.locator("#done").wait_for()
    await page.get_by_text(ANSWER).wait_for()

    # Hand it to a colleague.
    await page.get_by_label("Aan een collega").select_option("hhs-vp2")
    await page.get_by_role("button", name="Overdragen").first.click()
    await page.locator("#done").wait_for()
    await page.get_by_text("Overgedragen aan een collega").wait_for()

    # The PDF for the file.
    async with page.expect_download() as info:
        await page.locator("#pdf").click()
    download = await info.value
    pdf_path = await download.path()
    assert pdf_path is not None and Path(pdf_path).read_bytes().startswith(b"%PDF")

    # Close it with an outcome.
    await page.locator("#status-select").select_option("closed")
    await page.locator("#outcome-select").select_option("advised")
    await page.locator("#set-status").click()
    await page.locator("#done").wait_for()
    assert "Afgesloten" in await page.locator("#fact-status").inner_text()

    # The audit log shows all of it.
    await page.locator("#audit").click()
    log = await page.locator("table.audit").inner_text()
    for action in ("bekeken", "bericht aan student", "overgedragen aan collega", "pdf gedownload"):
        assert action in log, log
    await page.get_by_role("button", name="Uitloggen").click()
    await page.wait_for_url(re.compile(r".*/console/login\?bye=1$"))
    await page.goto(f"{url}/console/reports")
    assert page.url.startswith(f"{url}/console/login")

    # The colleague now reaches it too.
    other = await browser.new_context()
    colleague_page = await other.new_page()
    await colleague_page.route("**/*", only_loopback)
    await login(colleague_page, url, "vp2@hhs.example.nl", COLLEAGUE_PASSPHRASE, colleague_secret)
    assert await colleague_page.locator("table.cases tbody tr").count() == 1
    await other.close()


async def test_the_header_fits_at_1366_pixels(browser: Browser, tmp_path: Path) -> None:
    """A laptop's 1,366 px: no page of the console scrolls sideways, in Dutch or
    English, for the coordinator (the longest header: every link, the longest name) or
    an adviser with a report open."""
    from bot.channels.http.server import WebServer
    from tests.support.case_helpers import file_for
    from tests.support.console_client import console_container, make_world

    async with console_container(tmp_path) as container:
        world = make_world(container)
        coordinator = await world.enrol("denhaag-coordinator")
        hhs = await world.enrol("hhs-vp")
        report_id = await file_for(
            container.keys, container.reports, "hhs", [hhs], world.clock(), visibility="network"
        )
        at = container.settings.web
        web = WebServer(world.app, at.host, at.port)  # type: ignore[arg-type]
        await web.start()
        try:
            context = await browser.new_context(viewport={"width": 1366, "height": 768})
            page = await context.new_page()
            await page.route("**/*", only_loopback)
            for who, email, paths in (
                (coordinator, "stagediscriminatie@denhaag.example.nl",
                 ["/console/reports", "/console/overview", "/console/notices"]),
                (hhs, "vertrouwenspersoon@hhs.example.nl",
                 ["/console/reports", f"/console/reports/{report_id}",
                  f"/console/reports/{report_id}/audit"]),
            ):  # fmt: skip
                await page.context.clear_cookies()
                await page.goto(f"{web.url}/console/login")
                await page.get_by_label("E-mailadres").fill(email)
                await page.get_by_label("Wachtzin").fill(PASSPHRASE_CASES)
                totp = second_factor.totp_code(who.totp_secret, world.clock())
                await page.get_by_label("Code uit je authenticator-app").fill(totp)
                await page.get_by_role("button", name="Inloggen").click()
                await page.wait_for_url(f"{web.url}/console/reports")
                for lang in ("nl", "en"):
                    for path in paths:
                        await page.goto(f"{web.url}{path}?lang={lang}")
                        sizes = await page.evaluate(
                            "() => [document.documentElement.scrollWidth, window.innerWidth,"
                            " document.querySelector('header.top').scrollWidth,"
                            " document.querySelector('header.top').clientWidth,"
                            " document.querySelector('header.top').offsetHeight]"
                        )
                        page_width, inner, header_scroll, header_width, height = sizes
                        assert page_width <= inner, (lang, path, sizes)
                        assert header_scroll <= header_width, (lang, path, sizes)
                        assert height < 80, (lang, path, sizes)  # one line, not wrapped
                world.step()
            await context.close()
        finally:
            await web.stop()
