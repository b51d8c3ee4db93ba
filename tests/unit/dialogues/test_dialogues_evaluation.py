"""The evaluation: after a closed report's status, the student is asked (once, everything
optional) how the follow-up felt, what could be better, and whether that may be quoted
anonymously. The engine asks; the channel saves (GiveEvaluation) and reports back."""

from __future__ import annotations

import datetime
import json

import pytest

from dialogues import CheckStatus, GiveEvaluation, Press, StatusFound
from tests.support.dialogue_driver import ENGINE, Chat, start

LANGS = ["nl", "en"]
CODE = "4821093755218804"
FEEDBACK_TOKEN = "feedback.tok-1"
DAY = datetime.date(2026, 3, 4)
WISH = "Sneller terugbellen, en zeg wie er met mijn melding bezig is."


def closed(token: str = FEEDBACK_TOKEN) -> StatusFound:
    return StatusFound("closed", DAY, reference="SM-2026-0042", feedback_token=token)


def asked(lang: str = "nl", result: StatusFound | None = None, chat: Chat | None = None) -> Chat:
    """/status with a good code for a closed report without feedback yet."""
    chat = chat or Chat(lang_hint=lang)
    out = chat.cmd("status", CODE)
    assert out.action == CheckStatus(CODE)
    chat._take(ENGINE.status_result(chat.state, result or closed()))
    return chat


@pytest.mark.parametrize("lang", LANGS)
def test_a_closed_report_shows_its_status_then_asks_the_score(lang: str) -> None:
    chat = asked(lang)
    assert chat.keys == ["status_closed", "feedback_ask_score"]
    status, question = chat.outcome.replies
    assert status.buttons == () and status.protect  # the question below takes over
    assert chat.offered == [f"feedback.{n}" for n in range(1, 6)] + ["feedback.skip"]
    assert chat.state is not None and chat.state.menu == "feedback"
    assert chat.state.token == FEEDBACK_TOKEN
    assert "1" in question.text and "5" in question.text


@pytest.mark.parametrize("lang", LANGS)
def test_score_text_and_consent_go_out_in_one_action(lang: str) -> None:
    chat = asked(lang)
    chat.press("feedback.4")
    assert chat.keys == ["feedback_ask_text"] and chat.offered == ["feedback.skip"]
    assert "1000" in chat.text
    chat.say(f"  {WISH}  ")
    assert chat.keys == ["feedback_ask_quote"]
    assert chat.offered == ["feedback.quote", "feedback.private"]
    out = chat.press("feedback.quote")
    assert out.replies == ()  # nothing is said before it is saved
    assert out.action == GiveEvaluation(FEEDBACK_TOKEN, 4, WISH, quote=True)
    chat._take(ENGINE.evaluation_result(chat.state, "saved"))
    assert chat.keys == ["feedback_thanks"]
    assert chat.state is None or chat.state.idle  # nothing left: the channel keeps no row


def test_a_private_answer_is_not_quotable() -> None:
    chat = asked()
    chat.press("feedback.2")
    chat.say(WISH)
    out = chat.press("feedback.private")
    assert out.action == GiveEvaluation(FEEDBACK_TOKEN, 2, WISH, quote=False)


def test_skipping_both_is_an_answer_too() -> None:
    """Declined: saved, so the next /status does not ask again; nothing to quote."""
    chat = asked()
    chat.press("feedback.skip")
    assert chat.keys == ["feedback_ask_text"]
    out = chat.press("feedback.skip")
    assert out.action == GiveEvaluation(FEEDBACK_TOKEN, 0, "", quote=False)


def test_a_text_without_a_score() -> None:
    chat = asked()
    chat.press("feedback.skip")
    chat.say(WISH)
    out = chat.press("feedback.quote")
    assert out.action == GiveEvaluation(FEEDBACK_TOKEN, 0, WISH, quote=True)


def test_a_score_typed_as_its_label_counts() -> None:
    chat = asked()
    chat.say("5")
    assert chat.keys == ["feedback_ask_text"] and chat.state is not None
    assert chat.state.feedback_score == 5


@pytest.mark.parametrize("value", ["feedback.7", "feedback.0", "feedback.quote", "status.reply"])
def test_a_forged_press_changes_nothing(value: str) -> None:
    chat = asked()
    before = chat.state
    assert before is not None
    out = chat.send(Press(before.turn, value))
    assert out.replies[0].key == "button_stale" and chat.state == before
    assert out.action is None


def test_a_press_from_an_older_screen_is_stale() -> None:
    chat = asked()
    old = chat.button("feedback.3")
    chat.press("feedback.4")
    before = chat.state
    out = chat.send(Press(old.turn, "feedback.3"))
    assert out.replies[0].key == "button_stale" and chat.state == before


def test_an_oversize_or_empty_text_is_refused_kindly_and_changes_nothing() -> None:
    chat = asked()
    chat.press("feedback.3")
    before = chat.state
    chat.say("x" * 1001)
    assert chat.keys == ["text_too_long"] and "1000" in chat.text and chat.state == before
    chat.say("   ")
    assert chat.keys == ["feedback_ask_text"] and chat.state == before
    chat.say("y" * 1000)  # the limit itself is fine
    assert chat.keys == ["feedback_ask_quote"]


def test_a_second_attempt_is_refused_kindly() -> None:
    """Another screen (or chat) saved it first: storage says "already"."""
    chat = asked()
    chat.press("feedback.1")
    chat.press("feedback.skip")
    chat._take(ENGINE.evaluation_result(chat.state, "already"))
    assert chat.keys == ["feedback_already"] and (chat.state is None or chat.state.idle)


def test_an_expired_token_says_how_to_answer_later() -> None:
    chat = asked()
    chat.press("feedback.5")
    chat.press("feedback.skip")
    chat._take(ENGINE.evaluation_result(chat.state, "expired"))
    assert chat.keys == ["feedback_expired"] and "/status" in chat.text
    assert chat.state is None or chat.state.idle


def test_a_failed_save_keeps_everything_for_another_try() -> None:
    chat = asked()
    chat.press("feedback.5")
    chat.say(WISH)
    before = chat.state
    chat._take(ENGINE.evaluation_result(chat.state, "failed"))
    assert chat.keys == ["error_try_again", "feedback_ask_quote"] and chat.state == before
    out = chat.press("feedback.quote")
    assert out.action == GiveEvaluation(FEEDBACK_TOKEN, 5, WISH, quote=True)


def test_stop_cancels_and_forgets_the_token_and_text() -> None:
    chat = asked()
    chat.press("feedback.4")
    chat.say(WISH)
    chat.cmd("stop")
    assert chat.keys == ["feedback_cancelled"]
    assert chat.state is None or chat.state.idle


def test_another_command_closes_the_feedback_without_saving() -> None:
    chat = asked()
    chat.press("feedback.4")
    chat.say(WISH)
    out = chat.cmd("withdraw")  # no token of the feedback goes into a withdrawal
    assert out.action is None and chat.state is not None and chat.state.token == ""
    assert WISH not in json.dumps(chat.state.to_json())


def test_help_while_writing_keeps_waiting_for_the_text() -> None:
    chat = asked()
    chat.press("feedback.4")
    chat.cmd("help")
    assert chat.keys == ["help", "elsewhere", "feedback_ask_text"]
    chat.say(WISH)
    assert chat.keys == ["feedback_ask_quote"]


def test_the_text_is_held_only_while_the_consent_question_is_open() -> None:
    chat = asked()
    chat.press("feedback.4")
    chat.say(WISH)
    assert chat.state is not None and chat.state.feedback_text == WISH
    chat.press("feedback.private")
    chat._take(ENGINE.evaluation_result(chat.state, "saved"))
    assert chat.state is None or chat.state.idle


def test_no_token_no_question() -> None:
    """Open reports, and closed ones whose feedback was given, show the status as before."""
    chat = asked(result=closed(token=""))
    assert chat.keys == ["status_closed"] and chat.offered == ["status.close"]


def test_not_during_a_draft_the_question_is_owed_first() -> None:
    chat = start()
    chat.walk_to("when")
    asked(chat=chat)
    assert chat.keys == ["status_closed"]  # the status alone; the draft waits behind Done
    assert chat.state is not None and chat.state.menu == "status" and chat.state.token == ""
    chat.press("status.close")
    assert chat.keys[-1] == "ask_when"
