"""The web chat page in a real browser on a 360×640 phone: a photo with GPS data sent to
the adviser, downloaded in the console without it (and a file too large refused before
upload); long text counted before sending and sent in parts, never cut; 40 fast messages
all in the story, or visibly refused with their words back in the box; help-line numbers
as tel: links; multi-select answers with aria-pressed and a "Next" that looks different;
the welcome kept over a reload; axe-core clean with the new controls on screen."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Page

from bot.app.settings import Settings
from tests.support.browser import chromium
from tests.support.media_files import PHONE, gps_of, gps_photo
from tests.support.webchat_browser import NL, Student
from tests.support.webchat_harness import downloads, enrol_before, running

pytestmark = pytest.mark.browser

SMALL = {"width": 360, "height": 640}


async def _phone(browser: object) -> tuple[object, Page]:
    context = await browser.new_context(viewport=SMALL, locale="nl-NL")  # type: ignore[attr-defined]
    return context, await context.new_page()


async def _to_story(student: Student, url: str) -> None:
    await student.page.goto(url + "/")
    await student.wait_for("welcome")
    await student.tap_key("opt_safety_no", "ask_phase")
    await student.tap_key("opt_phase_during", "ask_story")


async def _story_to_summary(student: Student) -> str:
    await student.tap_key("btn_done", "ask_grounds")
    await student.tap_key("opt_grounds_origin", "ask_grounds")
    await student.tap_key("btn_next", "ask_when")
    await student.tap_key("opt_when_ongoing", "ask_school")
    await student.tap("ROC Mondriaan", "ask_workplace")
    await student.type("Bakkerij De Korst", "ask_workplace_town")
    await student.tap_key("btn_skip", "ask_workplace_kvk")
    await student.tap_key("btn_skip", "ask_pattern_consent")
    await student.tap_key("opt_pattern_consent_no", "ask_sector")
    await student.tap_key("btn_skip", "ask_evidence")
    await student.tap_key("opt_evidence_no", "ask_wants")
    await student.tap_key("opt_wants_talk", "ask_visibility")
    await student.tap(NL.get("recommended", label=NL.get("opt_visibility_school")), "summary")
    return str(await student.asked("summary").inner_text())


async def _settled(page: Page) -> None:
    """Every message of the student has its answer: none is still on its way."""
    pending = page.locator(".msg.you.pending")
    for _ in range(600):  # the page's script may not be evaluated (CSP): poll its DOM
        if await pending.count() == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{await pending.count()} messages never got an answer")


async def test_a_photo_goes_to_the_adviser_and_a_too_large_file_is_refused_before_upload(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(gps_photo())
    big = tmp_path / "groot.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(70_000))
    settings = make_settings(web={"max_file_bytes": 65_536})
    adviser = await enrol_before(settings, "mondriaan-vp")
    async with running(settings) as url, chromium() as browser:
        context, page = await _phone(browser)
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
        student = Student(page)
        await page.goto(url + "/")
        code = await student.file_report("Ze negeerden mij op mijn stage.")
        attach = page.get_by_role("button", name=NL.get("web_attach"))
        assert not await attach.is_visible()  # only while answering the adviser
        await student.check_status(code)
        await student.tap_key("btn_reply", "ask_reply")
        await attach.wait_for()
        hint = await page.locator("#attach-hint").inner_text()
        assert "JPEG" in hint and "{mb}" not in hint
        assert await student.axe() == []  # with the file control on screen

        await page.locator("#file").set_input_files(str(big))
        await page.locator(".msg.note", has_text="te groot").wait_for()
        assert not any(u.endswith("/chat/file") for u in posted)  # never uploaded

        await page.locator("#file").set_input_files(str(photo))
        await student.wait_for("reply_sent")
        bubble = page.locator(".msg.you", has_text="IMG_2041.jpg")
        assert await bubble.count() == 1
        assert await bubble.get_attribute("class") == "msg you"  # sent, not pending or failed
        assert [u for u in posted if u.endswith("/chat/file")] == [url + "/chat/file"]
        assert not await attach.is_visible()  # the answer is sent: no file control now
        await context.close()  # type: ignore[attr-defined]
    ((name, got),) = await downloads(settings, adviser)  # the adviser, in the console
    assert name == "IMG_2041.jpg" and gps_of(got) == {} and PHONE.encode() not in got


async def test_long_text_is_counted_offered_in_parts_and_never_cut(
    make_settings: Callable[..., Settings],
) -> None:
    sentence = "Mijn begeleider zei elke dag iets over mijn afkomst, ook waar anderen bij waren. "
    text = (sentence * 120).strip()  # about 9,700 characters: three parts of at most 4,000
    async with running(make_settings()) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await _to_story(student, url)
        box = page.get_by_label(NL.get("web_input_label"))
        assert await box.get_attribute("maxlength") is None
        await box.fill(text)
        assert len(await box.input_value()) == len(text)  # nothing cut off
        counter = page.locator("#counter")
        assert await counter.is_visible()
        assert re.search(r"\d+ tekens te veel", await counter.inner_text())
        await box.press("Enter")
        offer = page.locator('.msg.note[data-key="web_too_long"]')
        await offer.wait_for()
        assert "4000" in await offer.inner_text()
        assert len(await box.input_value()) == len(text)  # nothing sent yet, nothing lost
        await offer.get_by_role("button", name=NL.get("web_send_parts", parts=3)).click()
        await _settled(page)
        parts = await page.locator(".msg.you .text").all_inner_texts()
        parts = [p.removeprefix(NL.get("web_you")).strip() for p in parts]
        assert len(parts) == 3 and all(len(p) <= 4000 for p in parts)
        assert " ".join(parts) == text  # every word, in order
        assert all(p.endswith(".") for p in parts)  # cut after a sentence
        assert await page.locator(".msg.you.failed").count() == 0
        assert await page.locator('.msg.bot[data-key="text_too_long"]').count() == 0
        assert await box.input_value() == ""
        await context.close()  # type: ignore[attr-defined]


async def _forty(page: Page, *, append: bool = False) -> list[str]:
    """40 messages as fast as the page takes them, without waiting for answers.
    `append`: typed after whatever is in the box (as a student does when refused words
    came back), else the box is filled with just the message."""
    box = page.get_by_label(NL.get("web_input_label"))
    said = [f"bericht-{i:02d}." for i in range(40)]
    for text in said:
        if append:
            await box.press("End")
            await box.press_sequentially(text)
        else:
            await box.fill(text)
        await box.press("Enter")
    await _settled(page)
    return said


async def test_forty_fast_messages_all_reach_the_story(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(web={"messages_per_minute": 120})
    async with running(settings) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await _to_story(student, url)
        said = await _forty(page)
        assert await page.locator(".msg.you.failed").count() == 0
        summary = await _story_to_summary(student)
        missing = [s for s in said if s not in summary]
        assert missing == []
        await context.close()  # type: ignore[attr-defined]


async def test_forty_fast_messages_beyond_the_limit_are_marked_and_kept_in_the_box(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(web={"messages_per_minute": 30})
    async with running(settings) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await _to_story(student, url)  # two presses count too: 28 texts get in
        said = await _forty(page, append=True)
        failed = page.locator(".msg.you.failed")
        assert await failed.count() >= 1
        for bubble in await failed.all():
            assert NL.get("web_not_sent_mark") in await bubble.inner_text()
        sent = await page.locator(".msg.you:not(.failed) .text").all_inner_texts()
        box = await page.get_by_label(NL.get("web_input_label")).input_value()
        # Every word is in exactly one place: a message that arrived, or the box.
        for word in said:
            places = sum(word in t for t in sent) + (word in box)
            assert places == 1, (word, places)
        assert sum(word in t for t in sent for word in said) == 28  # two presses + 28
        notes = page.locator('.msg.note[data-key="rate_limited"]')
        assert await notes.count() == 1
        await context.close()  # type: ignore[attr-defined]


async def test_help_lines_are_tel_links_and_the_welcome_survives_a_reload(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await page.goto(url + "/")
        await student.wait_for("welcome")
        await student.tap_key("opt_safety_yes", "safety_help")
        links = student.asked("safety_help").locator("a.tel")
        hrefs = [await a.get_attribute("href") for a in await links.all()]
        assert "tel:112" in hrefs and "tel:08000113" in hrefs and "tel:09008844" in hrefs
        assert await student.asked("safety_help").get_by_role("link", name="0800-0113").count()

        await page.reload()
        await student.wait_for("welcome")  # the welcome (what is kept, who reads it) is back
        welcome = await page.locator(".msg.bot").first.inner_text()
        assert "Wat we bewaren" in welcome
        await context.close()  # type: ignore[attr-defined]


async def test_multi_select_says_pressed_and_next_looks_different(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await _to_story(student, url)
        await student.type("Een verhaal.", "story_more")
        await student.tap_key("btn_done", "ask_grounds")
        question = student.asked("ask_grounds")
        origin = question.get_by_role("button", name=NL.get("opt_grounds_origin"))
        assert await origin.get_attribute("aria-pressed") == "false"
        await origin.click()
        await page.locator('.msg.bot[data-key="ask_grounds"] [aria-pressed="true"]').wait_for()
        question = student.asked("ask_grounds")
        origin = question.get_by_role("button", name=NL.get("opt_grounds_origin"))
        assert await origin.get_attribute("aria-pressed") == "true"
        assert "✓" not in (await origin.inner_text()).replace("\u2713", "✓")[1:]  # one mark
        others = question.locator('button[aria-pressed="false"]')
        assert await others.count() == 7
        nxt = question.get_by_role("button", name=NL.get("btn_next"), exact=True)
        assert await nxt.get_attribute("aria-pressed") is None
        colours = await page.evaluate(
            """([a, b]) => [a, b].map(e => getComputedStyle(e).backgroundColor)""",
            [await nxt.element_handle(), await others.first.element_handle()],
        )
        assert colours[0] != colours[1]
        assert await student.axe() == []
        await context.close()  # type: ignore[attr-defined]
