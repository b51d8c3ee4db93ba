"""The web chat's wire, without a browser: help-line numbers become tel: runs (a receipt
code never does); the text box's limits come from the flow; multi-select buttons say
pressed and "Next" says advance; every frame the server does not take is named back
(`refused`), every one it takes is acknowledged (`ack`); the page's own words carry no
emoji."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.app.settings import Settings
from bot.channels.webchat import frames
from bot.channels.webchat.lengths import Box, Lengths
from bot.channels.webchat.markup import runs
from dialogues import Button, Reply
from dialogues.flow import load_flow
from dialogues.required_keys import WEB_KEYS
from dialogues.texts import load_texts
from tests.support.webchat_harness import chat, new_session, running

TEXTS = load_texts()
NL = TEXTS["nl"]
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]")


def phones(text: str) -> list[str]:
    return [t for t, style in runs(text) if "t" in style]


def test_every_help_line_in_the_danger_text_is_a_phone_run() -> None:
    found = phones(NL.get("safety_help"))
    assert found == ["112", "0900-8844", "0900-0101", "113", "0800-0113", "0800-0142"]
    assert runs("Bel <b>112</b>.")[1] == ("112", "bt")  # bold stays bold


@pytest.mark.parametrize(
    "text",
    [
        "Je code: 0123 4567 8901 2345",
        "Kenmerk SM-2026-0113",
        "Op 2026-12-01 om 11:12",
        "maximaal 4000 tekens, 1120 keer",
    ],
)
def test_codes_dates_and_counts_are_not_phone_numbers(text: str) -> None:
    assert phones(text) == []


def test_other_phone_numbers_as_operators_write_them() -> None:
    text = "Bel 070-3658000, 06 12345678 of +31 70 123 4567."
    assert phones(text) == ["070-3658000", "06 12345678", "+31 70 123 4567"]


def test_the_box_takes_what_the_engine_takes() -> None:
    flow = load_flow()
    story = next(s for s in flow.steps if s.kind == "story")
    lengths = Lengths(flow, cap=4096)
    assert lengths.after([Reply("ask_story", "")]) == Box(story.max_length, parts=True)
    assert lengths.after([Reply("story_more", "")]).parts
    assert lengths.after([Reply("ask_workplace", "")]) == Box(200)
    assert lengths.after([Reply("ask_reply", "")]) == Box(4000, files=True)
    assert lengths.after([Reply("ask_reply", ""), Reply("idle_help", "")]).files
    assert lengths.after([Reply("welcome", "")]) == Box(4000)
    assert Lengths(flow, cap=1000).after([Reply("ask_story", "")]).limit == 1000


def test_multi_select_buttons_say_pressed_and_next_says_advance() -> None:
    mark = frames.selected_mark(NL)
    question = Reply(
        "ask_grounds",
        "",
        (
            (
                Button(NL.get("selected_mark", label="Afkomst"), "origin", 3),
                Button("Leeftijd", "age", 3),
            ),
            (Button("Verder", "next", 3),),
        ),
    )
    (row, (nxt,)) = frames.reply(question, mark)["buttons"]
    assert row[0] == {"label": "Afkomst", "value": "origin", "turn": 3, "pressed": True}
    assert row[1]["pressed"] is False
    assert nxt == {"label": "Verder", "value": "next", "turn": 3, "advance": True}
    single = Reply("ask_when", "", ((Button(NL.get("selected_mark", label="x"), "week", 1),),))
    assert "pressed" not in frames.reply(single, mark)["buttons"][0][0]  # not a toggle


@pytest.mark.parametrize(
    ("raw", "found"),
    [('{"type":"text","text":"a","id":7}', 7), ('{"id":true}', None), ("[1]", None), ("x", None)],
)
def test_a_frames_id_is_read_only_when_sane(raw: str, found: int | None) -> None:
    assert frames.frame_id(raw) == found


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_pages_own_words_carry_no_emoji(lang: str) -> None:
    texts = TEXTS[lang]
    assert [k for k in sorted(WEB_KEYS) if EMOJI.search(texts.get(k))] == []


async def test_every_frame_is_acknowledged_or_named_as_refused(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings(web={"messages_per_minute": 3})) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            await client.until("turn")
            for n in range(1, 6):
                await client.send({"type": "text", "text": f"hallo {n}", "id": n})
            answers = [await client.frame() for _ in range(5)]
    answers = [a for a in answers if a["type"] != "texts"]
    assert [a.get("ack") for a in answers[:3]] == [1, 2, 3]
    assert [(a["type"], a.get("refused"), a.get("repeat", False)) for a in answers[3:]] == [
        ("notice", 4, False),
        ("notice", 5, True),
    ]
    assert answers[3]["reply"]["key"] == "rate_limited"
