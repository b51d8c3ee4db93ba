"""The report as PDF: reference, fields, thread and "confidential" on every page; text
beyond Latin-1 embedded with a Unicode font, or honestly marked when none exists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from escalation.console import pdf
from escalation.console.sheet import Names
from escalation.console.texts import ConsoleTexts
from storage.cases import CaseSummary, CaseThreadItem, CaseView, DeadlineView

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
