"""Every path through the report flow, interrupted: stopping or starting again,
checking a status, switching language, and help or privacy half-way; then the question
is asked again."""

from __future__ import annotations

import datetime

import pytest

from dialogues import (
    CheckStatus,
    Press,
    State,
    StatusFound,
    StatusLocked,
    StatusNotFound,
)
from tests.support.dialogue_driver import DEFAULTS, ENGINE, Chat, file_draft, start
from tests.support.walk_helpers import LANGS, at_summary, draft_value, step_options

# --- stopping, starting again ----------------------------------------------------------


@pytest.mark.parametrize(
    "where", ["safety", "phase", "story", "grounds", "evidence_note", "summary"]
)
def test_stop_erases_the_draft_anywhere(where: str) -> None:
    chat = start()
    chat.walk_to(where, {"evidence": "yes"})
    out = chat.cmd("stop")
    assert out.state is None and chat.keys == ["stopped"]


def test_stop_from_the_summary_button() -> None:
    chat = at_summary()
    out = chat.press("stop")
    assert out.state is None and chat.keys == ["stopped"]


def test_stop_with_nothing_in_progress_says_so() -> None:
    chat = start()
    file_draft(chat)
    chat.submitted()
    before = chat.state
    chat.cmd("stop")
    assert chat.keys == ["nothing_to_stop"] and chat.state == before


@pytest.mark.parametrize("how", ["command", "greeting"])
def test_start_during_a_draft_asks_before_dropping_it(how: str) -> None:
    chat = start()
    chat.walk_to("when")
    answers = chat.state.answers if chat.state else {}
    if how == "command":
        chat.cmd("start")
    else:
        chat.say("hallo")
    assert chat.keys == ["resume_or_restart"]
    assert chat.offered == ["resume.continue", "resume.restart"]
    assert chat.state is not None and chat.state.answers == answers
    chat.press("resume.continue")
    assert chat.keys == ["ask_when"] and chat.state.answers == answers


def test_start_over_erases_the_draft_and_welcomes_again() -> None:
    chat = start()
    chat.walk_to("when")
    chat.cmd("report")
    chat.press("resume.restart")
    assert chat.keys == ["welcome"]
    assert chat.state is not None and chat.state.answers == {} and chat.state.story == ()


def test_text_during_the_resume_question_continues_the_story() -> None:
    chat = start()
    chat.walk_to("story")
    chat.say("Deel een.")
    chat.cmd("start")
    chat.say("Deel twee.")
    assert chat.state is not None and chat.state.story == ("Deel een.", "Deel twee.")
    assert chat.state.menu == ""
    assert chat.offered == [*step_options("grounds"), "done"]


# --- status in the middle of a report ----------------------------------------------------


def test_status_mid_report_then_resume() -> None:
    chat = start()
    chat.walk_to("when")
    answers = chat.state.answers if chat.state else {}
    chat.cmd("status")
    assert chat.keys == ["ask_code"] and chat.state is not None and chat.state.awaiting_code
    chat.say("1234")
    assert chat.keys == ["code_format"] and chat.state.awaiting_code
    out = chat.say("4821-0937.5521 8804")
    assert out.action == CheckStatus("4821093755218804")
    assert out.replies == ()
    assert chat.state is not None and not chat.state.awaiting_code
    found = ENGINE.status_result(chat.state, StatusFound("in_progress", datetime.date(2025, 3, 4)))
    chat._take(found)
    # the status and nothing else, until the student asks for more
    assert chat.keys == ["status_in_progress"] and chat.offered == ["status.close"]
    assert found.replies[0].protect and "04-03-2025" in found.replies[0].text
    assert chat.state is not None and chat.state.answers == answers
    chat.press("status.close")
    assert chat.keys == ["status_done", "still_open", "ask_when"]
    chat.press("earlier")
    assert chat.step == "school"


def test_status_with_the_code_inline() -> None:
    chat = Chat()
    out = chat.cmd("status", "4821 0937 5521 8804")
    assert out.action == CheckStatus("4821093755218804")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("status", ["received", "in_progress", "waiting", "closed", "withdrawn"])
def test_every_status_has_its_words(lang: str, status: str) -> None:
    out = ENGINE.status_result(State.new(lang), StatusFound(status, datetime.date(2025, 1, 2)))
    assert [r.key for r in out.replies] == [f"status_{status}"]
    assert out.replies[0].protect and "02-01-2025" in out.replies[0].text
    assert out.replies[0].text.startswith(ENGINE.texts(lang).get(f"status_{status}", date="")[:8])
    # no token (nothing to reply to): only the neutral Done, and nothing kept but that
    values = [b.value for row in out.replies[0].buttons for b in row]
    assert values == ["status.close"]
    assert out.state is not None and out.state.token == "" and out.state.answers == {}


def test_a_wrong_code_keeps_asking_and_a_lock_stops_asking() -> None:
    chat = start()
    chat.walk_to("grounds")
    chat.cmd("status")
    chat.say("0000 0000 0000 0001")
    chat._take(ENGINE.status_result(chat.state, StatusNotFound(attempts_left=3)))
    assert chat.keys == ["status_not_found"] and "3" in chat.text
    assert chat.state is not None and chat.state.awaiting_code
    chat.say("0000 0000 0000 0002")
    chat._take(ENGINE.status_result(chat.state, StatusLocked(minutes=15)))
    assert chat.keys == ["status_locked", "still_open", "ask_grounds"] and "15" in chat.text
    assert chat.state is not None and not chat.state.awaiting_code


def test_stop_while_asked_for_a_code_only_cancels_the_check() -> None:
    chat = start()
    chat.walk_to("when")
    chat.cmd("status")
    out = chat.cmd("stop")
    assert out.state is not None and not out.state.awaiting_code
    assert chat.keys == ["code_cancelled", "ask_when"]
    assert out.state.answers.get("phase") == "interview"


def test_another_command_while_asked_for_a_code_cancels_the_check() -> None:
    chat = start()
    chat.walk_to("when")
    chat.cmd("status")
    chat.cmd("help")
    assert chat.state is not None and not chat.state.awaiting_code
    assert chat.keys == ["help", "elsewhere", "ask_when"]


def test_a_button_while_asked_for_a_code_answers_the_question() -> None:
    chat = start()
    chat.walk_to("when")
    assert chat.state is not None
    turn = chat.state.turn
    chat.cmd("status")
    chat.send(Press(turn, "week"))  # the question's button, above the code prompt
    assert chat.step == "school" and chat.state is not None and not chat.state.awaiting_code


def test_asking_for_the_status_in_words() -> None:
    chat = Chat()
    chat.say("hoe staat mijn melding ervoor")
    assert chat.keys == ["ask_code"]


# --- switching language half-way ---------------------------------------------------------


def test_switch_language_mid_report() -> None:
    chat = start("nl")
    chat.walk_to("wants")
    answers = chat.state.answers if chat.state else {}
    chat.cmd("language")
    assert chat.keys == ["ask_language"] and chat.offered == ["lang.nl", "lang.en"]
    chat.press("lang.en")
    assert chat.keys == ["ask_wants"]
    assert chat.text == ENGINE.texts("en").get("ask_wants")
    assert chat.state is not None and chat.state.lang == "en" and chat.state.answers == answers
    draft = file_draft(chat).draft
    assert draft.lang == "en"


def test_switch_language_from_the_welcome_resends_the_welcome() -> None:
    chat = start("nl")
    chat.press("lang.en")
    assert chat.keys == ["welcome"]
    assert ENGINE.texts("en").get("welcome") in chat.text
    assert "lang.nl" in chat.offered


def test_switch_language_when_idle_confirms() -> None:
    chat = Chat()
    chat.cmd("language")
    chat.press("lang.en")
    assert chat.keys == ["language_set"]
    assert chat.state is not None and chat.state.lang == "en"


def test_language_in_words_opens_the_picker() -> None:
    chat = start("nl")
    chat.walk_to("phase")
    chat.say("english please")
    assert chat.keys == ["ask_language"]


# --- help and privacy re-ask the question --------------------------------------------------


@pytest.mark.parametrize("name", ["help", "privacy"])
def test_help_and_privacy_then_the_question_again(name: str) -> None:
    chat = start()
    chat.walk_to("when")
    before = chat.state
    chat.cmd(name)
    told = [name, "elsewhere"] if name == "help" else [name]
    assert chat.keys == [*told, "ask_when"] and chat.state == before


def test_privacy_from_the_welcome_button() -> None:
    chat = start()
    chat.press("privacy")
    assert chat.keys == ["privacy", "ask_safety"]
    assert "privacy" in chat.offered  # the welcome row is still there
    chat.press("no")
    assert chat.step == "phase"


def test_idle_text_gets_short_help_with_two_ways_on() -> None:
    chat = Chat()
    chat.cmd("status")
    chat.cmd("stop")
    chat.say("bedankt")
    assert chat.keys == ["idle_help"]
    assert chat.offered == ["go.report", "go.status"]
    chat.press("go.status")
    assert chat.keys == ["ask_code"]
    chat.cmd("stop")
    chat.say("bedankt")
    chat.press("go.report")
    assert chat.keys == ["welcome"]


def test_a_draft_matches_what_the_defaults_say() -> None:
    draft = file_draft(start()).draft
    for step_id, value in DEFAULTS.items():
        if step_id == "recognised":  # not asked on the shortest way
            assert draft.recognised == ""
        elif step_id == "story":
            assert draft.story == "\n\n".join(value)  # type: ignore[arg-type]
        else:
            assert draft_value(draft, step_id) == value
