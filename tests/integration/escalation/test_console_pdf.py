"""The report as PDF: reference, fields, thread and "confidential" on every page; text
beyond Latin-1 embedded with a Unicode font, or honestly marked when none exists; every
field and thread entry the page shows, read back from the PDF; no font-subsetting chatter
in the log."""

from __future__ import annotations

import html
import io
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from escalation.console import pdf
from escalation.console.sheet import Names
from escalation.console.texts import ConsoleTexts
from storage.repositories.cases import CaseSummary, CaseThreadItem, CaseView, DeadlineView
from tests.support.case_helpers import Enrolled, file_for
from tests.support.console_client import ConsoleWorld, console_container, make_world

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NAMES = Names(advisers={}, orgs={}, adviser_orgs={})
STORY = "Ze zeiden: «geen hoofddoek». Łukasz zag het. مرحبا 你好"


def view() -> CaseView:
    summary = CaseSummary(
        id="r" * 32, reference="SM-ABCD-EFGH", org_id="hhs", created_at=WHEN, updated_at=WHEN,
        phase="interview", grounds=("religion",), status="closed", urgent=False,
        outcome="advised", deadlines=(DeadlineView("acknowledge", WHEN, WHEN, 0),),
    )  # fmt: skip
    thread = (
        CaseThreadItem("m1", WHEN, "adviser", "hhs-vp", False, None, "Dank voor je melding."),
        CaseThreadItem("m2", WHEN, "event", "hhs-vp", False, "status_closed", None),
    )
    return CaseView(
        summary=summary, fields={"story": STORY}, thread=thread, attachments=(),
        visibility="school", wants="talk", when_bucket="month", level="hbo",
        workplace_org_id=None, acknowledged_at=WHEN, first_feedback_at=WHEN, closed_at=WHEN,
        withdrawn_at=None, readers=("hhs-vp",),
    )  # fmt: skip


def test_without_a_unicode_font_the_pdf_says_what_it_could_not_show() -> None:
    data = pdf.render(
        view(),
        ConsoleTexts("nl"),
        adviser="VP HHS",
        made_at=WHEN,
        names=NAMES,
        font=None,
        compress=False,
    )
    assert data.startswith(b"%PDF")
    assert b"SM-ABCD-EFGH" in data and b"02-03-2026 10:30 CET" in data  # Dutch time
    assert b"VERTROUWELIJK" in data and b"Dank voor je melding." in data
    assert b"Let op: sommige tekens" in data  # Arabic and Chinese became "?"
    assert "Łukasz".encode("latin-1", "replace") in data


def test_with_dejavu_the_text_is_embedded_as_written() -> None:
    font = pdf.unicode_font()
    if font is None:
        pytest.fail("DejaVu Sans is missing: `make test` installs fonts-dejavu-core")
    data = pdf.render(
        view(),
        ConsoleTexts("nl"),
        adviser="VP HHS",
        made_at=WHEN,
        names=NAMES,
        font=font,
        compress=False,
    )
    assert data.startswith(b"%PDF") and b"DejaVu" in data
    # DejaVu shows Latin, Polish and Arabic letters, but has no Chinese: that is named.
    assert pdf.missing(STORY, font) == "你好"
    assert pdf.missing("Łukasz مرحبا «»", font) == ""


def test_the_fallback_names_everything_beyond_latin_1() -> None:
    lost = pdf.missing(STORY, None)
    assert "Ł" in lost and "你" in lost and "«" not in lost and "é" not in pdf.missing("é", None)


# --- the PDF holds what the page shows, and logs nothing of it ------------------------

FIELD = re.compile(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", re.S)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _pdf_text(data: bytes, footer: str) -> str:
    """The PDF's text, pages joined, the "confidential — page n" footers taken out, all
    whitespace (line wraps included) one space."""
    pages = [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    text = " ".join(pages)
    text = re.sub(rf"{re.escape(footer)} — \S+ \d+", " ", text)
    return " ".join(text.split())


async def _full_report(world: ConsoleWorld) -> tuple[Enrolled, str]:
    """A report with something in every part of the page: answers, a file, a thread with
    a note, a student's answer and events, met and open deadlines, another organization."""
    hhs = await world.enrol("hhs-vp")
    await world.enrol("mondriaan-vp")
    container = world.container
    report_id = await file_for(
        container.keys, container.reports, "hhs", [hhs], world.clock(), visibility="network",
        extra={"evidence": "yes", "danger": "no", "school_choice": "hhs", "lang": "nl"},
    )  # fmt: skip
    assert await container.student.send_file(report_id, "mail.txt", "text/plain", b"hallo")
    return hhs, report_id


async def test_the_pdf_holds_every_field_the_page_shows(tmp_path: Path) -> None:
    async with console_container(tmp_path) as container:
        world = make_world(container)
        hhs, report_id = await _full_report(world)
        url = f"/console/reports/{report_id}"
        async with world.client() as client:
            await world.login(client, hhs)
            for action, fields in (
                ("acknowledge", {}),
                ("note", {"text": "Eerst bellen."}),
                ("message", {"text": "Dank voor je melding. Ik bel je morgen."}),
                ("handover/add", {"org": "mondriaan"}),
            ):
                form = await world.csrf_form(client, url)
                assert (await client.post(f"{url}/{action}", data={**form, **fields})).is_redirect
            assert await container.student.answer(report_id, "Morgen kan ik na drie uur.")
            page = (await client.get(url)).text
            data = (await client.get(f"{url}/pdf")).content
        text = _pdf_text(data, ConsoleTexts("nl")("pdf.confidential"))
        fields = [(_text(label), _text(value)) for label, value in FIELD.findall(page)]  # type: ignore[assignment]
        labels = {label for label, _ in fields}  # type: ignore[str-unpack]
        # What the issue names, and every part of the page, is there to compare.
        for must in ("Wanneer", "Wat de student wil", "Mag worden gezien door", "Ingediend bij",
                     "Nu bij", "Ontvangst bevestigd", "Verhaal", "Bewijs", "In gevaar",
                     "Antwoord aan de student", "mail.txt"):  # fmt: skip
            assert must in labels, (must, labels)
        assert len(fields) >= 20
        for label, value in fields:  # type: ignore[str-unpack]
            assert f"{label}: {value}" in text, (label, value)
        # The thread, line by line.
        thread = page.split('<ol class="thread">', 1)[1].split("</ol>", 1)[0]
        entries = re.findall(r'<p class="meta">(.*?)</p>\s*<p[^>]*>(.*?)</p>', thread, re.S)
        assert len(entries) >= 5
        for meta, body in entries:
            assert f"{_text(meta)} {_text(body)}" in text, (meta, body)


async def test_a_pdf_download_writes_no_font_subsetting_lines_to_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if pdf.unicode_font() is None:
        pytest.fail("DejaVu Sans is missing: `make test` installs fonts-dejavu-core")
    async with console_container(tmp_path) as container:
        world = make_world(container)
        hhs, report_id = await _full_report(world)
        async with world.client() as client:
            await world.login(client, hhs)
            caplog.clear()
            with caplog.at_level(logging.DEBUG):
                response = await client.get(f"/console/reports/{report_id}/pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        noisy = [r for r in caplog.records if r.name.startswith(("fpdf", "fontTools"))]
        assert noisy == [], [r.getMessage() for r in noisy]
        # And the same directly: a render with a subsetted font, everything captured.
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            pdf.render(view(), ConsoleTexts("nl"), adviser="VP", made_at=WHEN, names=NAMES,
                       font=pdf.unicode_font())  # fmt: skip
        assert not [r for r in caplog.records if r.name.startswith(("fpdf", "fontTools"))]
