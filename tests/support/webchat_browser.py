"""Playwright on Debian's Chromium for the web chat tests: launching it, a neutral site
for the quick exit on loopback, and steps a student takes on the page."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, Route

from dialogues.texts import load_texts
from tests.support.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".test-tools" / "node_modules" / "axe-core" / "axe.min.js"
NL = load_texts()["nl"]
LOOPBACK = {"127.0.0.1", "localhost"}
CODE = re.compile(r"^\d{4} \d{4} \d{4} \d{4}$")


@contextlib.asynccontextmanager
async def neutral_site() -> AsyncIterator[str]:
    """Where the quick exit goes in tests: a page on loopback that says nothing."""

    async def weather(_: web.Request) -> web.Response:
        page = "<!doctype html><title>Weer</title><p>Zon</p>"
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", weather)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


class Guard:
    """Every request the page makes: anything off loopback is aborted and remembered."""

    def __init__(self) -> None:
        self.left: list[str] = []
        self.seen: list[str] = []

    async def install(self, context: BrowserContext) -> None:
        await context.route("**/*", self._route)
        context.on("page", lambda page: page.on("websocket", lambda ws: self._note(ws.url)))  # type: ignore[call-overload]

    def _note(self, url: str) -> bool:
        self.seen.append(url)
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "about:")) or host in LOOPBACK:
            return True
        self.left.append(url)
        return False

    async def _route(self, route: Route) -> None:
        if self._note(route.request.url):
            await route.continue_()
        else:
            await route.abort()


class Student:
    """What a student does on the page, waiting for what they would wait for."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def asked(self, key: str) -> Any:
        return self.page.locator(f'.msg.bot[data-key="{key}"]').last

    async def wait_for(self, key: str) -> None:
        await self.asked(key).wait_for(timeout=30_000)

    async def tap(self, label: str, then: str) -> None:
        button = self.page.get_by_role("button", name=label, exact=True, disabled=False).last
        await button.click()
        await self.wait_for(then)

    async def tap_key(self, text_key: str, then: str, **values: object) -> None:
        await self.tap(NL.get(text_key, **values), then)

    async def type(self, text: str, then: str) -> None:
        box = self.page.get_by_label(NL.get("web_input_label"))
        await box.fill(text)
        await box.press("Enter")
        await self.wait_for(then)

    async def file_report(self, story: str, *, confirm: bool = True) -> str:
        """From the first message to the receipt code (shown before filing) and, unless
        `confirm` is False, "I have saved it" up to "filed"; returns the code shown."""
        await self.wait_for("welcome")
        await self.tap_key("opt_safety_no", "ask_phase")
        await self.tap_key("opt_phase_during", "ask_story")
        await self.type(story, "story_more")
        await self.tap_key("btn_done", "ask_grounds")
        await self.tap_key("opt_grounds_origin", "ask_grounds")
        await self.tap_key("btn_next", "ask_when")
        await self.tap_key("opt_when_ongoing", "ask_school")
        await self.tap("ROC Mondriaan", "ask_workplace")
        await self.type("Bakkerij De Korst", "ask_workplace_town")
        await self.tap_key("btn_skip", "ask_workplace_kvk")
        await self.tap_key("btn_skip", "ask_pattern_consent")
        await self.tap_key("opt_pattern_consent_no", "ask_sector")
        await self.tap_key("btn_skip", "ask_evidence")
        await self.tap_key("opt_evidence_no", "ask_wants")
        await self.tap_key("opt_wants_talk", "ask_visibility")
        school = NL.get("recommended", label=NL.get("opt_visibility_school"))
        await self.tap(school, "summary")
        await self.tap_key("btn_submit", "receipt")
        code = (await self.asked("receipt").locator(".receipt .code").inner_text()).strip()
        assert CODE.match(code), code
        if confirm:
            await self.tap_key("btn_receipt_saved", "filed")
        return code  # type: ignore[no-any-return]

    async def check_status(self, code: str) -> str:
        await self.type("/status", "ask_code")
        await self.type(code, "status_received")
        return await self.asked("status_received").inner_text()  # type: ignore[no-any-return]

    async def axe(self) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations axe-core finds on the page."""
        if not AXE.exists():
            pytest.skip("axe-core is not installed in .test-tools (make test installs it)")
        await self.page.evaluate(AXE.read_text(encoding="utf-8"))
        found = await self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        assert isinstance(found, list)
        return [v for v in found if v["impact"] in ("serious", "critical")]


def dump(state: Any) -> str:
    return json.dumps(state, ensure_ascii=False)
