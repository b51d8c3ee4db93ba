"""The web chat's pure parts: Telegram-HTML into runs, frames in, flood control."""

from __future__ import annotations

import pytest

from bot.channels.webchat import frames
from bot.channels.webchat.markup import receipt_code, runs
from bot.intake.limits import Flood
from dialogues import Command, Press, Reply, Text


def test_runs_keep_bold_and_italic_and_turn_escaped_user_text_back_into_text() -> None:
    html = "<b>Wat:</b> &lt;script&gt;alert(1)&lt;/script&gt; &amp; <i>meer <b>nog</b></i>"
    assert runs(html) == [
        ("Wat:", "b"),
        (" <script>alert(1)</script> & ", ""),
        ("meer ", "i"),
        ("nog", "bi"),
    ]


def test_an_unexpected_tag_never_becomes_markup() -> None:
    assert runs('<a href="x">klik</a> <img src=x onerror=y>') == [("klik ", "")]


def test_the_receipt_code_is_found_for_the_copy_button() -> None:
    assert receipt_code("Je code is:\n<b>4821 0937 5521 8804</b>") == "4821 0937 5521 8804"
    assert receipt_code("geen code") is None


def test_the_receipt_frame_shows_its_code_once_in_the_copy_box() -> None:
    text = "<b>Nog één stap.</b> Dit is je code:\n<b>4821 0937 5521 8804</b>\n\nBewaar hem."
    out = frames.reply(Reply("receipt", text))
    assert out["code"] == "4821 0937 5521 8804"
    assert out["runs"] == [("Nog één stap.", "b"), (" Dit is je code:", "")]
    assert out["after"] == [("Bewaar hem.", "")]
    assert not any(out["code"] in t for t, _ in out["runs"] + out["after"])


def test_web_addresses_become_site_runs_and_a_sentences_dot_stays_text() -> None:
    shown = runs("Kijk op s-bb.nl/nieuws/meld. Bel 0800-0142 of kijk op <b>kiesmij.nl</b>.")
    assert [r for r in shown if "w" in r[1]] == [("s-bb.nl/nieuws/meld", "w"), ("kiesmij.nl", "bw")]
    assert ("0800-0142", "t") in shown
    assert runs("mail info@x.nl of 1234 5678 9012 3456") == [
        ("mail info@x.nl of 1234 5678 9012 3456", "")
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"type": "text", "text": "hallo"}', Text("hallo")),
        ('{"type": "text", "text": "/status 1234"}', Command("status", "1234")),
        ('{"type": "press", "turn": 3, "value": "lang.en"}', Press(3, "lang.en")),
    ],
)
def test_frames_the_page_sends(raw: str, expected: object) -> None:
    assert frames.parse(raw, max_chars=100) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b'{"type": "text", "text": "bytes"}',
        "not json",
        "[1, 2]",
        '{"type": "photo"}',
        '{"text": "no type"}',
        '{"type": "text", "text": 5}',
        '{"type": "text", "text": "   "}',
        '{"type": "press", "turn": "3", "value": "no"}',
        '{"type": "press", "turn": true, "value": "no"}',
        '{"type": "press", "turn": -1, "value": "no"}',
        '{"type": "press", "turn": 3, "value": "<b>"}',
        '{"type": "press", "turn": 3, "value": "' + "x" * 33 + '"}',
    ],
)
def test_malformed_frames_are_refused_with_a_message_key(raw: str | bytes | None) -> None:
    assert frames.parse(raw, max_chars=100) == frames.Refusal("web_bad_frame")


def test_text_over_the_limit_is_refused_with_the_limit() -> None:
    refused = frames.parse('{"type": "text", "text": "' + "a" * 101 + '"}', max_chars=100)
    assert refused == frames.Refusal("text_too_long", {"limit": 100})


def test_flood_refuses_over_the_limit_warns_once_and_calms_down() -> None:
    now = [0.0]
    flood = Flood(3, lambda: now[0])
    assert [flood.allow("a") for _ in range(3)] == [True, True, True]
    assert flood.allow("a") is False
    assert flood.first_refusal("a") is True
    assert flood.allow("a") is False
    assert flood.first_refusal("a") is False
    assert flood.allow("b") is True  # another session is not affected
    now[0] = 61.0
    assert flood.allow("a") is True
