"""The web chat in a real browser (Playwright driving Debian's Chromium, headless): a
report from the first message to the receipt and its status, on a desktop and a 360 px
phone; the quick exit; a reconnect mid-flow; axe-core's accessibility check; and nothing
requested beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Page, Response, ViewportSize

from bot.app.settings import Settings
from bot.channels.http.headers import CSP
from tests.support.browser import chromium
from tests.support.harness import free_port
from tests.support.webchat_browser import NL, Guard, Student, dump, neutral_site
from tests.support.webchat_harness import running

pytestmark = pytest.mark.browser


def guarded(responses: list[Response]) -> list[str]:
    """Responses from our server without the security headers (should be none)."""
    bad = []
    for r in responses:
        h = r.headers
        if (
            h.get("content-security-policy") != CSP
            or h.get("cache-control") != "no-store"
            or h.get("referrer-policy") != "no-referrer"
        ):
            bad.append(r.url)
    return bad


async def _file_and_check(url: str, page: Page) -> None:
    student = Student(page)
    responses: list[Response] = []
    page.on("response", lambda r: responses.append(r))
    await page.goto(url + "/")
    assert await page.title() == NL.get("web_title")
    code = await student.file_report(
        "Mijn begeleider zei: <script>alert('x')</script> & meer.", confirm=False
    )
    receipt = student.asked("receipt")
    assert (await receipt.inner_text()).count(code) == 1  # once: in the copy box
    await receipt.get_by_role("button", name=NL.get("web_copy")).click()
    await receipt.get_by_text(NL.get("web_copied")).wait_for()
    assert await page.evaluate("navigator.clipboard.readText()") == code
    summary = await student.asked("summary").inner_text()
    assert "<script>alert('x')</script> & meer." in summary  # shown as text ...
    assert await page.locator(".log script").count() == 0  # ... never as markup
    await student.tap_key("btn_receipt_saved", "filed")
    await student.tap_key("btn_keep", "kept")
    status = await student.check_status(code)
    assert "ontvangen" in status
    # The message with the code is taken out of the chat, as in Telegram.
    mine = await page.locator(".msg.you").all_inner_texts()
    assert not any(code in m for m in mine)
    assert responses and guarded(responses) == []


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 360, "height": 640}], ids=str
)
async def test_a_student_files_a_report_and_checks_its_status(
    make_settings: Callable[..., Settings], viewport: ViewportSize
) -> None:
    guard = Guard()
    async with running(make_settings()) as url, chromium() as browser:
        context = await browser.new_context(viewport=viewport, locale="nl-NL")
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        await guard.install(context)
        page = await context.new_page()
        await _file_and_check(url, page)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"]  # nothing sticks out sideways on a phone
        cookies = await context.cookies()
        assert [c["name"] for c in cookies] == ["session"]
        assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
        await context.close()
    assert guard.seen and guard.left == []
    assert any(u.startswith("ws://127.0.0.1") for u in guard.seen)


@pytest.mark.parametrize("how", ["escape twice", "button"])
async def test_quick_exit_leaves_nothing_in_page_history_or_storage(
    make_settings: Callable[..., Settings], how: str
) -> None:
    secret = f"GEHEIM-{uuid.uuid4().hex[:8]}"
    async with neutral_site() as elsewhere:
        settings = make_settings(web={"quick_exit_url": elsewhere})
        async with running(settings) as url, chromium() as browser:
            phone: ViewportSize = {"width": 360, "height": 640}
            context = await browser.new_context(viewport=phone, locale="nl-NL")
            page = await context.new_page()
            student = Student(page)
            await page.goto(url + "/")
            await student.wait_for("welcome")
            await student.tap_key("opt_safety_no", "ask_phase")
            await student.tap_key("opt_phase_during", "ask_story")
            await student.type(f"Mijn verhaal {secret}", "story_more")
            await page.get_by_label(NL.get("web_input_label")).fill(f"nog niet verstuurd {secret}")
            if how == "button":
                await page.get_by_role("link", name=NL.get("web_quick_exit")).click()
            else:
                await page.keyboard.press("Escape")
                await page.keyboard.press("Escape")
            await page.wait_for_url(elsewhere)
            assert secret not in await page.content()
            # The chat's history entry was replaced: back goes to where the tab was before.
            assert await page.evaluate("history.length") == 2
            await page.go_back()
            assert page.url == "about:blank"
            assert secret not in await page.content()
            for _ in range(100):  # the exit call is sent with keepalive as the page goes
                if not await context.cookies(url):
                    break
                await asyncio.sleep(0.05)
            state = await context.storage_state()
            assert state["cookies"] == []
            assert secret not in dump(state)
            # Back on the site, nothing of the draft is there: a fresh start.
            again = await context.new_page()
            await again.goto(url + "/")
            await Student(again).wait_for("welcome")
            assert secret not in await again.content()
            assert await again.locator('.msg.bot[data-key="resume_or_restart"]').count() == 0
            await context.close()


async def test_a_dropped_connection_resumes_at_the_same_question(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(web={"port": free_port()})
    async with chromium() as browser:
        context = await browser.new_context(locale="nl-NL")
        page = await context.new_page()
        student = Student(page)
        async with running(settings) as url:
            await page.goto(url + "/")
            await student.wait_for("welcome")
            await student.tap_key("opt_safety_no", "ask_phase")
        # The service is gone (restart, network): the page says so and keeps trying.
        await page.get_by_text(NL.get("web_connection_lost")).wait_for()
        async with running(settings) as again:
            assert again == url
            note = page.locator(".msg.note", has_text=NL.get("web_reconnected"))
            await note.wait_for(timeout=30_000)
            await student.tap_key("opt_phase_during", "ask_story")
            await student.type("Het ging door na de herstart.", "story_more")
        await context.close()


async def test_the_page_has_no_serious_accessibility_violations(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chromium() as browser:
        for viewport in ({"width": 1280, "height": 800}, {"width": 360, "height": 640}):
            context = await browser.new_context(viewport=viewport, locale="nl-NL")  # type: ignore[arg-type]
            page = await context.new_page()
            student = Student(page)
            await page.goto(url + "/")
            await student.wait_for("welcome")
            assert await student.axe() == []
            await student.tap_key("opt_safety_no", "ask_phase")
            await student.tap_key("opt_phase_during", "ask_story")
            await student.type("Een verhaal.", "story_more")
            found: list[dict[str, Any]] = await student.axe()
            assert found == []
            await context.close()


async def test_keyboard_only_reaches_the_answers_and_the_input(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chromium() as browser:
        context = await browser.new_context(locale="nl-NL")
        page = await context.new_page()
        student = Student(page)
        await page.goto(url + "/")
        await student.wait_for("welcome")
        # New messages are announced; every control has a name a screen reader reads.
        log = page.get_by_role("log", name=NL.get("web_log_label"))
        assert await log.get_attribute("aria-live") == "polite"
        assert await page.get_by_role("textbox", name=NL.get("web_input_label")).count() == 1
        assert await page.get_by_role("button", name=NL.get("web_send")).count() == 1
        # Tab order: quick exit first, then the welcome's buttons.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "exit"
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == NL.get("opt_safety_yes")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")  # "Nee"
        await student.wait_for("ask_phase")
        # After a button, focus moves to the next question's first answer.
        focused = await page.evaluate("document.activeElement.textContent")
        assert focused == NL.get("opt_phase_looking")
        await page.keyboard.press("Enter")
        await student.wait_for("ask_story")
        assert await page.evaluate("document.activeElement.id") == "input"
        await context.close()
