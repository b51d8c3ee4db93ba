"""The student's way through, in a real browser on a 360×640 phone:

- a returning student taps "check my report" on the welcome, types the code
  and sees the status and the adviser's message and nothing else (both on screen without
  scrolling), then answers twice without typing the code again; the adviser reads both;
- typed answers ("afkomst", "vorige week", a school with a typo confirmed with
  "did you mean?", "roc mondriaaan") and a typed status question after filing;
- after "delete this chat" and after "keep", the page still offers a way on;
- at the summary, add to the story, with "terug" going back instead of becoming
  story text;
- the receipt shows its code once (in the copy box) and fits one screen;
- the status says by which date the adviser answers;
- "yes, I am in danger" gives tappable help lines and waits for "I want to go on";
- "what else you can do" after filing, with tel: and web links;
- "I don't know" and a ground exclude each other (aria-pressed flips);
- axe-core clean on the receipt and on the status view.

One service per test: each test walks several of these in one conversation, as a student
would, so the suite starts the service three times, not twelve."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import BrowserContext, Locator, Page

from bot.app.settings import Settings
from storage.crypto import private_keys
from storage.crypto.kdf import KdfParams
from storage.crypto.keys import KeyStore
from tests.conftest import FAST_ARGON2
from tests.support.browser import chromium
from tests.support.followup_helpers import Adviser
from tests.support.webchat_browser import CODE, NL, Student
from tests.support.webchat_harness import running

pytestmark = pytest.mark.browser

SMALL = {"width": 360, "height": 640}
DATE = r"\d{2}-\d{2}-\d{4}"


async def _phone(browser: object) -> tuple[BrowserContext, Page]:
    context: BrowserContext = await browser.new_context(  # type: ignore[attr-defined]
        viewport=SMALL, locale="nl-NL"
    )
    return context, await context.new_page()


async def _band(page: Page) -> tuple[float, float]:
    """The part of the 360×640 screen the chat shows: below the sticky header, above
    the sticky box to type in (what lies under them cannot be read)."""
    bar = await page.locator("header.bar").bounding_box()
    compose = await page.locator("#compose").bounding_box()
    assert bar is not None and compose is not None
    return bar["y"] + bar["height"], min(float(SMALL["height"]), compose["y"])


async def _inside(page: Page, box: dict[str, float] | None) -> bool:
    """The box lies wholly in the part of the screen the student can read now."""
    assert box is not None
    top, bottom = await _band(page)
    return (
        box["x"] >= 0
        and box["x"] + box["width"] <= SMALL["width"]
        and box["y"] >= top
        and box["y"] + box["height"] <= bottom
    )


async def _on_screen(page: Page, element: Locator) -> bool:
    return await _inside(page, await element.bounding_box())  # type: ignore[arg-type]


TEXT_BOX = """([key, text]) => {
  const all = document.querySelectorAll(`.msg.bot[data-key="${key}"]`);
  const walker = document.createTreeWalker(all[all.length - 1], NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, at = node.data.indexOf(text);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + text.length);
    const r = range.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height};
  }
  return null;
}"""


async def _text_box(page: Page, key: str, text: str) -> dict[str, float] | None:
    """Where `text` stands inside the last message `key` (a part of one paragraph)."""
    found = await page.evaluate(TEXT_BOX, [key, text])
    return found if isinstance(found, dict) else None


async def _new(student: Student, key: str, step: Awaitable[None]) -> None:
    """Does `step` and waits for a NEW message `key` (an earlier one may be on the page,
    and Student's own wait would be satisfied by it)."""
    messages = student.page.locator(f'.msg.bot[data-key="{key}"]')
    before = await messages.count()
    await step
    await messages.nth(before).wait_for(timeout=30_000)


def _ground(student: Student, key: str) -> Locator:
    question = student.asked("ask_grounds")
    return question.get_by_role("button", name=NL.get(key), exact=True)  # type: ignore[no-any-return]


async def _pressed(student: Student, key: str, want: str) -> None:
    """Waits until the redrawn question shows the button as pressed (or not)."""
    selector = f'.msg.bot[data-key="ask_grounds"] button[aria-pressed="{want}"]'
    await student.page.locator(selector, has_text=NL.get(key)).last.wait_for()


async def _story_to_school(student: Student) -> None:
    await student.wait_for("welcome")
    await student.tap_key("opt_safety_no", "ask_phase")
    await student.tap_key("opt_phase_during", "ask_story")
    await student.type("Mijn begeleider negeerde me elke dag.", "story_more")
    await student.tap_key("btn_done", "ask_grounds")


async def _school_to_summary(student: Student) -> None:
    await student.tap_key("btn_skip", "ask_sector")
    await student.tap_key("btn_skip", "ask_evidence")
    await student.tap_key("opt_evidence_no", "ask_wants")
    await student.tap_key("opt_wants_talk", "ask_visibility")
    await student.tap(NL.get("recommended", label=NL.get("opt_visibility_school")), "summary")


async def _receipt_code(student: Student) -> str:
    code = (await student.asked("receipt").locator(".receipt .code").inner_text()).strip()
    assert CODE.match(code), code
    return code  # type: ignore[no-any-return]


async def test_typed_answers_story_changes_receipt_where_else_and_no_dead_end(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await page.goto(url + "/")
        await _story_to_school(student)

        # "I don't know" and a ground exclude each other, on the page.
        await _ground(student, "opt_grounds_unknown").click()
        await _pressed(student, "opt_grounds_unknown", "true")
        assert await _ground(student, "opt_grounds_origin").get_attribute("aria-pressed") == (
            "false"
        )
        # A typed ground ("afkomst") is the origin button, and it unpresses
        # "I don't know".
        await student.type("afkomst", "ask_grounds")
        await _pressed(student, "opt_grounds_origin", "true")
        assert await _ground(student, "opt_grounds_unknown").get_attribute("aria-pressed") == (
            "false"
        )
        await _ground(student, "opt_grounds_unknown").click()
        await _pressed(student, "opt_grounds_unknown", "true")
        assert await _ground(student, "opt_grounds_origin").get_attribute("aria-pressed") == (
            "false"
        )
        await _ground(student, "opt_grounds_origin").click()
        await _pressed(student, "opt_grounds_origin", "true")
        assert await _ground(student, "opt_grounds_unknown").get_attribute("aria-pressed") == (
            "false"
        )
        await student.tap_key("btn_next", "ask_when")

        # "vorige week" is an answer; a school with a typo is a guess, confirmed.
        await student.type("vorige week", "ask_school")
        await student.type("mondrain", "confirm_guess")
        assert "ROC Mondriaan" in await student.asked("confirm_guess").inner_text()
        await student.tap_key("btn_guess_yes", "ask_workplace")
        await _school_to_summary(student)
        summary = await student.asked("summary").inner_text()
        assert "Afkomst" in summary and "Weet ik niet" not in summary
        assert NL.get("opt_when_week") in summary and "ROC Mondriaan" in summary

        # Add to the story; "terug" while writing goes back, it is no story text.
        await student.tap_key("btn_edit", "ask_edit")
        await student.tap_key("btn_story_add", "story_add")
        await _new(student, "summary", student.type("terug", "summary"))
        summary = await student.asked("summary").inner_text()
        assert "Mijn begeleider negeerde me elke dag." in summary
        assert "terug" not in summary.lower()  # not added to the story
        await _new(student, "ask_edit", student.tap_key("btn_edit", "ask_edit"))
        await _new(student, "story_add", student.tap_key("btn_story_add", "story_add"))
        await student.type("Ook zei hij iets over mijn naam.", "story_added")
        await _new(student, "summary", student.tap_key("btn_done", "summary"))
        summary = await student.asked("summary").inner_text()
        assert "Mijn begeleider negeerde me elke dag." in summary  # kept, not retyped
        assert "Ook zei hij iets over mijn naam." in summary

        # The receipt shows the code once, keeps its copy button, fits one screen.
        await student.tap_key("btn_submit", "receipt")
        receipt = student.asked("receipt")
        code = await _receipt_code(student)
        assert (await receipt.inner_text()).count(code) == 1
        assert await receipt.get_by_role("button", name=NL.get("web_copy")).is_visible()
        assert "Bewaar deze code nu" in await receipt.inner_text()  # the advice is kept
        top, bottom = await _band(page)
        box = await receipt.bounding_box()
        assert box is not None and box["height"] <= bottom - top, (box, top, bottom)
        assert await student.axe() == []

        # What else the student can do, with numbers and sites to tap.
        await student.tap_key("btn_receipt_saved", "filed")
        elsewhere = student.asked("elsewhere")
        assert await elsewhere.count() == 1
        hrefs = [await a.get_attribute("href") or "" for a in await elsewhere.locator("a").all()]
        assert any(h.startswith("tel:") for h in hrefs), hrefs
        assert any(h.startswith(("https://", "http://")) for h in hrefs), hrefs

        # "delete this chat" leaves a page with a way on, not a single line.
        await page.get_by_role("button", name=NL.get("btn_erase"), exact=True).click()
        report = page.get_by_role("button", name=NL.get("btn_go_report"), exact=True)
        status = page.get_by_role("button", name=NL.get("btn_go_status"), exact=True)
        await status.last.wait_for()
        assert await report.last.is_visible() and await status.last.is_visible()
        assert code not in await page.locator(".log").inner_text()  # the chat is erased

        # Asking in words how the report is doing leads to the status check.
        await student.type("hoe kan ik zien wat er met mijn melding gebeurt", "ask_code")
        assert await page.locator('.msg.bot[data-key="welcome"]').count() == 0
        await context.close()


async def test_danger_gives_tappable_help_lines_and_waits_for_go_on(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chromium() as browser:
        context, page = await _phone(browser)
        student = Student(page)
        await page.goto(url + "/")
        await student.wait_for("welcome")
        await student.tap_key("opt_safety_yes", "safety_help")
        hrefs = [
            await a.get_attribute("href")
            for a in await student.asked("safety_help").locator("a.tel").all()
        ]
        assert "tel:112" in hrefs, hrefs
        assert await page.locator('.msg.bot[data-key="ask_phase"]').count() == 0
        go_on = page.get_by_role("button", name=NL.get("btn_go_on"), exact=True)
        assert await go_on.last.is_visible()
        # Typing something is not "go on": the next question still waits.
        await student.type("ik weet het niet", "pause_waiting")
        assert await page.locator('.msg.bot[data-key="ask_phase"]').count() == 0
        await student.tap_key("btn_go_on", "ask_phase")
        await context.close()


@pytest.fixture
def recovery(make_settings: Callable[..., Settings]) -> private_keys.X25519PrivateKey:
    """The network's recovery key, made before the service starts, so the adviser in
    the test can open the report (the service would otherwise make its own)."""
    settings = make_settings()
    _, key = KeyStore.init(settings.keys.dir, KdfParams(**FAST_ARGON2))
    return private_keys.private_key_from_text(key)


async def test_a_returning_student_sees_only_the_status_and_answers_twice(
    make_settings: Callable[..., Settings], recovery: private_keys.X25519PrivateKey
) -> None:
    settings = make_settings()
    adviser = Adviser(settings, recovery)
    question = "Mag ik je bellen? Laat weten wanneer het uitkomt."
    async with running(settings) as url, chromium() as browser:
        # The first visit: a report filed (the school typed, "roc mondriaaan"), kept.
        context, page = await _phone(browser)
        student = Student(page)
        await page.goto(url + "/")
        await _story_to_school(student)
        await student.tap_key("opt_grounds_origin", "ask_grounds")
        await student.tap_key("btn_next", "ask_when")
        await student.tap_key("opt_when_ongoing", "ask_school")
        await student.type("roc mondriaaan", "ask_workplace")  # sure: no question needed
        await _school_to_summary(student)
        assert "ROC Mondriaan" in await student.asked("summary").inner_text()
        await student.tap_key("btn_submit", "receipt")
        code = await _receipt_code(student)
        await student.tap_key("btn_receipt_saved", "filed")
        # "keep" leaves a way on too.
        await student.tap_key("btn_keep", "kept")
        kept = student.asked("kept")
        assert await kept.get_by_role("button", name=NL.get("btn_go_report")).is_visible()
        assert await kept.get_by_role("button", name=NL.get("btn_go_status")).is_visible()
        # Asked in words, right after filing: the status check, no new welcome.
        welcomes = await page.locator('.msg.bot[data-key="welcome"]').count()
        await student.type("hoe kan ik zien wat er met mijn melding gebeurt", "ask_code")
        assert await page.locator('.msg.bot[data-key="welcome"]').count() == welcomes
        await context.close()

        await adviser.answer(question)

        # Days later, a new visit on the phone.
        context, page = await _phone(browser)
        student = Student(page)
        await page.goto(url + "/")
        await student.wait_for("welcome")
        welcome = await student.asked("welcome").inner_text()
        assert "/status" not in welcome  # Telegram's language is not the web's way in
        await student.tap_key("btn_go_status", "ask_code")
        await student.type(code, "status_received")
        status = student.asked("status_received")
        shown = await status.inner_text()
        assert question in shown
        expect = NL.get("status_expect", date="@").split("@")[0]
        assert re.search(re.escape(expect) + DATE, shown), shown  # by when the adviser answers
        # Nothing else follows the status: no open draft, no danger question.
        after = page.locator('.msg.bot[data-key="status_received"] ~ .msg.bot')
        assert await after.count() == 0
        for key in ("still_open", "resume_or_restart", "ask_safety"):
            assert await page.locator(f'.msg.bot[data-key="{key}"]').count() == 0, key
        assert await page.locator('.msg.bot[data-key="welcome"]').count() == 1
        # The adviser's message and "Reply" are on the phone's screen without scrolling.
        said = await _text_box(page, "status_received", question)
        reply = status.get_by_role("button", name=NL.get("btn_reply"), exact=True)
        assert await _inside(page, said), (said, await _band(page))
        assert await _on_screen(page, reply), await reply.bounding_box()
        assert await student.axe() == []

        await student.tap_key("btn_reply", "ask_reply")
        await student.type("Ja, na vier uur.", "reply_sent")
        await _new(student, "ask_reply", student.tap_key("btn_reply", "ask_reply"))
        assert await page.locator('.msg.bot[data-key="ask_code"]').count() == 1  # no code again
        await _new(student, "reply_sent", student.type("Of morgenochtend.", "reply_sent"))
        await context.close()
    assert await adviser.student_messages() == ["Ja, na vier uur.", "Of morgenochtend."]
