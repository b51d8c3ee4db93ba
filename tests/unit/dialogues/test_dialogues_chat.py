"""The driver's own checks (tests/support/dialogue_driver.py) and a student's first turn."""

from __future__ import annotations

import pytest

from tests.support.dialogue_driver import ENGINE, Chat, start

# --- the driver's own checks, and the first turn -------------------------------------


def test_the_driver_refuses_to_press_what_is_not_on_screen() -> None:
    chat = start()
    with pytest.raises(AssertionError):
        chat.press("submit")


@pytest.mark.parametrize(
    ("hint", "lang"), [("nl", "nl"), ("en-GB", "en"), ("en", "en"), ("tr", "nl"), (None, "nl")]
)
def test_start_greets_in_the_language_telegram_suggests(hint: str | None, lang: str) -> None:
    chat = Chat(lang_hint=hint)
    chat.cmd("start")
    assert chat.keys == ["welcome"]
    assert chat.state is not None and chat.state.lang == lang
    assert ENGINE.texts(lang).get("ask_safety") in chat.text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_welcome_is_one_message_with_safety_privacy_and_language(lang: str) -> None:
    chat = start(lang)
    (welcome,) = chat.outcome.replies
    t = ENGINE.texts(lang)
    assert t.get("welcome") in welcome.text and t.get("ask_safety") in welcome.text
    other = {"nl": "lang.en", "en": "lang.nl"}[lang]
    # a returning student's way in: a button on the first screen
    assert chat.offered == ["yes", "threat", "no", "go.status", "privacy", other]
    assert not welcome.protect


def test_the_welcome_says_what_is_stored_and_who_reads_it() -> None:
    text = ENGINE.texts("nl").get("welcome")
    assert "versleuteld" in text and "vertrouwenspersoon" in text and "meldcode" in text
    assert "offline" in text  # the recovery key, honestly mentioned
    text = ENGINE.texts("en").get("welcome")
    assert "encrypted" in text and "adviser" in text and "receipt code" in text


def test_report_goes_straight_to_the_safety_question() -> None:
    chat = Chat()
    chat.cmd("report")
    assert chat.keys == ["ask_safety"]
    assert chat.offered == ["yes", "threat", "no"]


def test_any_first_text_that_is_no_request_gets_the_welcome() -> None:
    chat = Chat()
    chat.say("Ik heb iets naars meegemaakt op mijn stage")
    assert chat.keys == ["welcome"]


def test_a_greeting_gets_the_welcome() -> None:
    chat = Chat()
    chat.say("Hoi!")
    assert chat.keys == ["welcome"]


def test_a_first_message_that_starts_nothing_leaves_no_state() -> None:
    chat = Chat()
    chat.cmd("help")
    assert chat.keys == ["help", "elsewhere"]
    assert chat.state is None
    chat.media("sticker")
    assert chat.keys == ["unsupported_media", "idle_help"]
    assert chat.state is None
