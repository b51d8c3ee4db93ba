"""Input the flow did not ask for changes nothing: stale and forged buttons, oversize or
empty text, photos, unknown commands. That whatever the student typed comes back escaped
and within Telegram's limits: test_dialogues_robustness_escaping.py."""

from __future__ import annotations

import datetime

import pytest

from dialogues import (
    Attachment,
    Command,
    FlowContext,
    Outcome,
    Press,
    Reply,
    State,
    StatusFound,
    Text,
    ThreadEntry,
    Unsupported,
)
from dialogues.engine import Engine
from tests.support.dialogue_driver import ENGINE, Chat, check_outcome, file_draft, start

TOKEN = "tok-123"
FOUND = StatusFound(
    "waiting",
    datetime.date(2025, 3, 4),
    reference="SM-1",
    thread=(ThreadEntry("adviser", "Hoi", "", datetime.date(2025, 3, 3)),),
    reply_token=TOKEN,
)
# The screens after filing, idle and half-way through a new draft.
FOLLOW_UPS = ["status", "status_mid", "reply", "withdraw", "withdraw_code"]


def _follow_up(place: str) -> Chat:
    chat = start()
    if place in ("status_mid", "withdraw_code"):
        chat.walk_to("when")
    else:
        file_draft(chat)
        chat.submitted()
    if place == "withdraw_code":
        chat.cmd("withdraw")
        chat.press("withdraw.yes")
        return chat
    chat.cmd("status", "4821 0937 5521 8804")
    chat._take(ENGINE.status_result(chat.state, FOUND))
    if place == "reply":
        chat.press("status.reply")
    if place == "withdraw":
        chat.press("status.withdraw")
    return chat


# One state per kind of place in the conversation.
PLACES = ["safety", "phase", "story", "grounds", "when", "school", "workplace", "evidence"]


def _chat_at(place: str) -> Chat:
    if place in FOLLOW_UPS:
        return _follow_up(place)
    chat = start()
    if place in ("summary", "edit", "receipt", "evidence_note"):
        chat.walk_to("summary" if place != "evidence_note" else place, {"evidence": "yes"})
        if place == "edit":
            chat.press("edit")
        if place == "receipt":  # the code on screen, before filing
            chat.press("submit")
            chat.receipt_drawn()
    else:
        chat.walk_to(place)
    return chat


ALL_PLACES = [*PLACES, "evidence_note", "summary", "edit", "receipt", *FOLLOW_UPS]


@pytest.mark.parametrize("place", ALL_PLACES)
def test_a_stale_button_changes_nothing_and_asks_again(place: str) -> None:
    chat = _chat_at(place)
    before = chat.state
    assert before is not None and before.turn > 0
    for value in chat.offered:
        out = ENGINE.handle(before, Press(before.turn - 1, value))
        check_outcome(out)
        assert out.state == before
        assert out.replies[0].key == "button_stale"
        assert len(out.replies) >= 2  # and what to tap now
        assert out.action is None


FORGED = [
    "forged",
    "submit",
    "edit.safety",
    "lang.fr",
    "resume.restart",
    "go.nowhere",
    "none ",
    "",
    "submit.push",
    "status.reply",
    "status.nowhere",
    "withdraw.yes",
    "reply.cancel",
]


@pytest.mark.parametrize("place", ALL_PLACES)
def test_a_forged_value_changes_nothing(place: str) -> None:
    chat = _chat_at(place)
    before = chat.state
    assert before is not None
    forged = [v for v in FORGED if v not in chat.offered]
    assert len(forged) >= len(FORGED) - 1
    for value in forged:
        out = ENGINE.handle(before, Press(before.turn, value))
        check_outcome(out)
        assert out.state == before and out.action is None
        assert out.replies[0].key == "button_stale"


@pytest.mark.parametrize("turn", [-1, 10**9, 2**63])
def test_a_button_from_the_future_or_the_past_is_stale(turn: int) -> None:
    chat = _chat_at("phase")
    out = ENGINE.handle(chat.state, Press(turn, "during"))
    assert out.state == chat.state and out.replies[0].key == "button_stale"


def test_edit_buttons_are_stale_outside_the_edit_menu() -> None:
    chat = _chat_at("summary")
    before = chat.state
    assert before is not None
    out = ENGINE.handle(before, Press(before.turn, "edit.phase"))
    assert out.state == before and out.replies[0].key == "button_stale"


def test_the_school_step_only_takes_configured_schools() -> None:
    chat = _chat_at("school")
    before = chat.state
    assert before is not None
    out = ENGINE.handle(before, Press(before.turn, "leiden"))
    assert out.state == before and out.replies[0].key == "button_stale"


@pytest.mark.parametrize("place", ALL_PLACES)
@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "document", "location"])
def test_media_gets_a_kind_word_and_changes_nothing(place: str, kind: str) -> None:
    chat = _chat_at(place)
    before = chat.state
    out = ENGINE.handle(before, Unsupported(kind))
    check_outcome(out)
    assert out.state == before
    assert out.replies[0].key == "unsupported_media"
    assert len(out.replies) == 2


@pytest.mark.parametrize("place", ALL_PLACES)
def test_an_unknown_command_lists_the_commands_and_changes_nothing(place: str) -> None:
    chat = _chat_at(place)
    before = chat.state
    out = ENGINE.handle(before, Command("hack", "x"))
    check_outcome(out)
    assert out.state == before
    assert out.replies[0].key == "unknown_command"
    for command in ("/report", "/status", "/withdraw", "/help", "/privacy", "/language", "/stop"):
        assert command in out.replies[0].text


@pytest.mark.parametrize("place", ["safety", "phase", "grounds", "when", "school", "evidence"])
def test_chatter_at_a_button_question_asks_for_a_button(place: str) -> None:
    chat = _chat_at(place)
    before = chat.state
    out = ENGINE.handle(before, Text("mwah, weet niet zo goed eigenlijk"))
    assert out.state == before
    assert [r.key for r in out.replies] == ["use_buttons", f"ask_{place}"]


@pytest.mark.parametrize(("typed", "value"), [("nee", "no"), ("Ja", "yes"), (" NEE! ", "no")])
def test_typing_a_buttons_label_presses_it(typed: str, value: str) -> None:
    chat = _chat_at("safety")
    chat.say(typed)
    assert chat.step == "phase"
    assert chat.state is not None and chat.state.answers["safety"] == value


def test_typing_a_label_works_in_every_question() -> None:
    chat = _chat_at("when")
    chat.say("deze maand")
    assert chat.step == "school"
    chat.say("roc mondriaan & partners")
    assert chat.step == "workplace"
    chat.say("overslaan")
    assert chat.step == "sector"
    chat.say("horeca")
    assert chat.step == "evidence" and chat.state is not None
    assert chat.state.answers["school"] == "mondriaan" and chat.state.answers["workplace"] == ""
    assert chat.state.answers["sector"] == "hospitality"


@pytest.mark.parametrize(
    ("phrase", "key"),
    [
        ("hoe staat mijn melding ervoor", "ask_code"),
        ("is dit anoniem?", "privacy"),
        ("help", "help"),
        ("ik wil stoppen", "stopped"),
    ],
)
def test_requests_in_words_at_a_button_question_act_like_commands(phrase: str, key: str) -> None:
    chat = _chat_at("when")
    chat.say(phrase)
    assert chat.keys[0] == key


def test_a_story_that_sounds_like_a_request_is_still_the_story() -> None:
    chat = _chat_at("story")
    chat.say("help")
    assert chat.keys == ["story_more"]
    assert chat.state is not None and chat.state.story == ("help",)


# --- the channel's calls -------------------------------------------------------------------


def test_failure_keeps_the_state_and_asks_again() -> None:
    chat = _chat_at("summary")
    before = chat.state
    assert before is not None
    out = ENGINE.failure(before)
    assert out.state is before
    assert [r.key for r in out.replies] == ["error_try_again", "summary"]
    assert "submit" in [b.value for r in out.replies for row in r.buttons for b in row]


def test_failure_with_an_unknown_key_still_says_something_kind() -> None:
    out = ENGINE.failure(None, key="no_such_key")
    assert out.state is None and [r.key for r in out.replies] == ["error_try_again"]
    out = ENGINE.failure(None, key="rate_limited")
    assert [r.key for r in out.replies] == ["rate_limited"]


def test_stale_from_the_channel() -> None:
    chat = _chat_at("grounds")
    out = ENGINE.stale(chat.state)
    assert out.state == chat.state
    assert [r.key for r in out.replies] == ["button_stale", "ask_grounds"]
    out = ENGINE.stale(None)
    assert out.state is None and [r.key for r in out.replies] == ["button_stale", "idle_help"]


@pytest.mark.parametrize("place", ALL_PLACES)
def test_reprompt_repeats_the_question_with_live_buttons(place: str) -> None:
    chat = _chat_at(place)
    assert chat.state is not None
    replies = ENGINE.reprompt(chat.state)
    (reply,) = replies
    assert isinstance(reply, Reply)
    buttons = [b for row in reply.buttons for b in row]
    assert all(b.turn == chat.state.turn for b in buttons)
    if buttons:  # pressing what it drew is accepted
        out = ENGINE.handle(chat.state, Press(buttons[0].turn, buttons[0].value))
        assert out.action is not None or out.replies[0].key != "button_stale"


def test_a_channel_command_may_arrive_with_a_slash_or_in_capitals() -> None:
    out = ENGINE.handle(None, Command("/HELP"))
    assert out.replies[0].key == "help"


def test_a_persisted_state_from_another_config_is_repaired_not_crashed() -> None:
    chat = _chat_at("summary")
    before = chat.state
    assert before is not None
    smaller = Engine(FlowContext(schools=(("inholland", "Hogeschool Inholland", "hbo"),)))
    out: Outcome = smaller.handle(before, Command("help"))
    check_outcome(out)
    assert out.state is not None and out.state.step == "school"  # hhs is gone: ask again
    assert out.state.answers.get("phase") == before.answers["phase"]
    assert [r.key for r in out.replies] == ["help", "elsewhere", "ask_school"]


def test_a_state_at_an_unknown_step_continues_at_the_first_open_question() -> None:
    state = State(lang="en", step="favourite_colour", turn=7, answers={"safety": "no"})
    out = ENGINE.handle(state, Unsupported("photo"))
    assert out.state is not None and out.state.step == "phase" and out.state.turn == 8


# --- the follow-up screens -------------------------------------------------------------------


@pytest.mark.parametrize("place", FOLLOW_UPS)
def test_a_file_where_none_is_expected_changes_nothing(place: str) -> None:
    chat = _chat_at(place)
    before = chat.state
    out = ENGINE.handle(before, Attachment("photo", "ref", "x.jpg", 5))
    check_outcome(out)
    if place == "reply":
        assert out.action is not None and out.state == before
    else:
        assert out.action is None and out.state == before
        assert out.replies[0].key == "attachment_not_now"


@pytest.mark.parametrize("place", ["status", "reply", "withdraw"])
def test_the_status_buttons_go_stale_once_the_view_is_left(place: str) -> None:
    chat = _chat_at("status")
    view = chat.state
    assert view is not None
    if place == "reply":
        chat.press("status.reply")
    elif place == "withdraw":
        chat.press("status.withdraw")
    else:
        chat.press("status.close")
    for value in ("status.reply", "status.withdraw", "status.close"):
        out = ENGINE.handle(chat.state, Press(view.turn, value))
        assert out.replies[0].key == "button_stale" and out.state == chat.state


def test_a_forged_status_press_without_a_token_is_stale() -> None:
    chat = Chat()
    chat.cmd("status", "4821 0937 5521 8804")
    chat._take(ENGINE.status_result(chat.state, StatusFound("closed", datetime.date(2025, 1, 1))))
    before = chat.state
    assert before is not None and before.token == ""
    for value in ("status.reply", "status.withdraw"):
        out = ENGINE.handle(before, Press(before.turn, value))
        assert out.replies[0].key == "button_stale" and out.state == before and out.action is None


def test_a_withdraw_press_outside_the_confirmation_is_stale() -> None:
    chat = _chat_at("when")
    before = chat.state
    assert before is not None
    out = ENGINE.handle(before, Press(before.turn, "withdraw.yes"))
    assert out.replies[0].key == "button_stale" and out.action is None and out.state == before


def test_a_channel_token_that_is_not_printable_ascii_is_refused() -> None:
    bad = StatusFound("waiting", datetime.date(2025, 1, 1), reply_token="tok\n<b>")
    with pytest.raises(ValueError, match="token"):
        ENGINE.status_result(None, bad)
    with pytest.raises(ValueError, match="token"):
        ENGINE.status_result(
            None, StatusFound("waiting", datetime.date(2025, 1, 1), "", (), "t" * 513)
        )


def test_a_stored_token_stays_for_the_visit() -> None:
    """The code once per visit: the report opened with a code stays open for the visit;
    only the turn runner (clock, ephemeral key) drops the token when it runs out."""
    state = State(step="when", turn=4, answers={"safety": "no"}, token=TOKEN)
    out = ENGINE.handle(state, Unsupported("sticker"))
    assert out.state is not None and out.state.token == TOKEN
