"""The figures page in a real browser, filled by `run --demo`: the network coordinator
the demo prints logs in, the page shows charts and tables with nothing loaded from
elsewhere and no CSP violation, and axe-core finds no serious or critical problem; the
public page /cijfers likewise."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, Route

from bot.app.demo import enrol_demo_advisers
from bot.app.runtime import serve
from bot.app.settings import load_settings
from storage.crypto import second_factor
from tests.conftest import base_config, save_config
from tests.support import browser as browser_fixture
from tests.support.webchat_browser import AXE

browser = browser_fixture.browser
pytestmark = pytest.mark.browser


async def _loopback_only(route: Route, request: Request) -> None:
    if re.match(r"^(https?://127\.0\.0\.1[:/]|data:)", request.url):
        await route.continue_()
    else:
        await route.abort()
        raise AssertionError(f"request left 127.0.0.1: {request.url}")


def _coordinator(printed: str) -> tuple[str, str, str]:
    """(e-mail, passphrase, TOTP secret) of the network coordinator the demo printed."""
    block = printed.split("the network coordinator", 1)[1]
    email = re.search(r"e-mail:\s+(\S+)", block)
    passphrase = re.search(r"passphrase:\s+(\S+)", block)
    secret = re.search(r"TOTP secret:\s+(\S+)", block)
    assert email and passphrase and secret, printed
    return email.group(1), passphrase.group(1), secret.group(1)


async def _serious(page: Page) -> list[dict[str, object]]:
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


async def test_the_demo_fills_the_figures_page_and_it_passes_axe(
    browser: Browser, tmp_path: Path
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed in .test-tools (make test installs it)")
    path = tmp_path / "config.yaml"
    data = base_config(tmp_path)
    data["statistics"] = {"min_cell": 5, "public": True}
    save_config(path, data)
    settings = load_settings(path)
    printed = await enrol_demo_advisers(settings)
    assert "Demo figures:" in printed and "/console/figures" in printed
    email, passphrase, secret = _coordinator(printed)
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    service = asyncio.create_task(serve(settings, stop, ready=ready))
    try:
        url = await asyncio.wait_for(ready, 30)
        assert url is not None
        context = await browser.new_context()
        page = await context.new_page()
        await page.route("**/*", _loopback_only)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(f"{url}/console/login")
        await page.get_by_label("E-mailadres").fill(email)
        await page.get_by_label("Wachtzin").fill(passphrase)
        await page.get_by_label("Code uit je authenticator-app").fill(
            second_factor.totp_code(secret, datetime.now(UTC))
        )
        await page.get_by_role("button", name="Inloggen").click()
        await page.wait_for_url(f"{url}/console/reports")
        await page.get_by_role("link", name="Cijfers").click()
        await page.wait_for_url(f"{url}/console/figures")
        assert await page.locator("#demo").is_visible()  # demo data says so
        charts = page.locator("img.chart")
        assert await charts.count() >= 10
        # Every chart drew (an image the CSP blocked would have no width).
        widths = await charts.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
        assert all(w > 0 for w in widths)
        phase = page.locator("#table-phase tfoot td").first
        assert int(await phase.inner_text()) > 50  # several hundred over the period
        assert await _serious(page) == []
        # The public page: the same charts and tables, no login, the same checks.
        public = await context.new_page()
        await public.route("**/*", _loopback_only)
        public.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await public.goto(f"{url}/cijfers?lang=en")
        assert await public.locator("img.chart").count() >= 5
        assert await _serious(public) == []
        assert not [p for p in problems if "Content Security Policy" in p], problems
        await context.close()
    finally:
        stop.set()
        await service
