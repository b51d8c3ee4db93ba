"""Whatever the student typed, or the operator configured, comes back escaped and within
Telegram's limits: the summary, its longest form, and a reference in the status."""

from __future__ import annotations

import datetime

import pytest

from dialogues import (
    StatusFound,
)
from tests.support.dialogue_driver import ENGINE, file_draft, start

# --- user text comes back escaped and short enough --------------------------------------------

NASTY = "<b>x</b> & <script>alert(1)</script> &amp; <i"


def test_user_html_is_escaped_in_the_summary() -> None:
    chat = start()
    chat.walk_to(
        "summary",
        {"story": (NASTY,), "workplace": NASTY, "evidence": "yes", "evidence_note": NASTY},
    )
    (summary,) = [r for r in chat.outcome.replies if r.key == "summary"]
    escaped = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &lt;i"
    assert summary.text.count(escaped) == 3
    assert "<script>" not in summary.text and "<b>x</b>" not in summary.text
    assert "ROC" not in summary.text  # the chosen school is hhs
    assert file_draft(chat).draft.story == NASTY  # the draft keeps the words as typed


def test_an_operators_school_name_is_escaped_in_the_summary() -> None:
    chat = start()
    chat.walk_to("summary", {"school": "mondriaan"})
    assert "ROC Mondriaan &amp; Partners" in chat.text


@pytest.mark.parametrize("char", ["&", "<", "x", "é", "😀", "\u200b", "\u202e"])
def test_the_longest_summary_fits_one_message(char: str) -> None:
    chat = start("en")
    story = tuple(char * 4000 for _ in range(3))
    chat.walk_to(
        "summary",
        {
            "story": story,
            "workplace": char * 200,
            "evidence": "yes",
            "evidence_note": char * 1000,
        },
    )
    (summary,) = [r for r in chat.outcome.replies if r.key == "summary"]
    assert len(summary.text) <= 4096
    assert "…" in summary.text and "shortened here" in summary.text
    assert file_draft(chat).draft.story == "\n\n".join(story)  # nothing cut from the report


def test_a_short_story_is_shown_whole_without_a_cut_note() -> None:
    chat = start("en")
    chat.walk_to("summary")
    assert "shortened" not in chat.text and "…" not in chat.text


def test_a_reference_is_escaped_in_the_status_and_not_shown_at_filing() -> None:
    chat = start()
    file_draft(chat)
    out = chat.submitted(reference="<b>&")
    assert all("&lt;b&gt;" not in r.text and "<b>&" not in r.text for r in out.replies)
    found = StatusFound("received", datetime.date(2025, 1, 1), reference="<b>&")
    assert "&lt;b&gt;&amp;" in ENGINE.status_result(None, found).replies[0].text
