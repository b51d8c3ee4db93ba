"""The student's way through: no dead ends, the story changed without retyping it,
"terug" understood, a receipt that fits one screen, and a status that says when to
expect an answer. Every turn of every test here (and of every test using the driver)
also passes `has_way_on`."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from dialogues import (
    Command,
    Outcome,
    Press,
    State,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    ThreadEntry,
)
from tests.support.dialogue_driver import ENGINE, STORY, Chat, file_draft, has_way_on, start

LANGS = ["nl", "en"]
CODE = "4821093755218804"
TOKEN = "tok.v1_4f9a-Zq~"
DAY = datetime.date(2025, 3, 4)
IDLE_WAYS = ["go.report", "go.status"]


def viewing(chat: Chat, status: str = "waiting", token: str = TOKEN) -> Chat:
    chat.cmd("status", CODE)
    found = StatusFound(status, DAY, thread=(ThreadEntry("adviser", "Hoi", "", DAY),))
    chat._take(ENGINE.status_result(chat.state, _with_token(found, token)))
    return chat


def _with_token(found: StatusFound, token: str) -> StatusFound:
    return StatusFound(found.status, found.changed_on, found.reference, found.thread, token)


# --- every end message offers a way on ------------------------------------------------------

ENDINGS: dict[str, Callable[[Chat], object]] = {
    "kept": lambda c: (file_draft(c), c.submitted(), c.press("keep")),
    "erase": lambda c: (file_draft(c), c.submitted(), c.press("erase")),
    "stopped": lambda c: c.cmd("stop"),
    "status_done": lambda c: (viewing(c, "closed", token=""), c.press("status.close")),
    "status_done_open": lambda c: (viewing(c), c.press("status.close")),
    "reply_sent": lambda c: (
        viewing(c),
        c.press("status.reply"),
        c.say("Dank je"),
        c._take(ENGINE.reply_result(c.state, "sent")),
    ),
    "reply_expired": lambda c: (
        viewing(c),
        c.press("status.reply"),
        c.say("Dank je"),
        c._take(ENGINE.reply_result(c.state, "expired")),
    ),
    "withdraw_done": lambda c: (
        viewing(c),
        c.press("status.withdraw"),
        c.press("withdraw.yes"),
        c._take(ENGINE.withdraw_result(c.state, "withdrawn")),
    ),
    "withdraw_expired": lambda c: (
        viewing(c),
        c.press("status.withdraw"),
        c.press("withdraw.yes"),
        c._take(ENGINE.withdraw_result(c.state, "expired")),
    ),
    "withdraw_cancelled": lambda c: (
        viewing(c),
        c.press("status.withdraw"),
        c.press("withdraw.no"),
    ),
    "locked": lambda c: (viewing(c), c.press("status.close"), c.cmd("stop")),
    "status_locked": lambda c: (
        c.cmd("status", CODE),
        c._take(ENGINE.status_result(c.state, StatusLocked(minutes=15))),
    ),
    "code_cancelled": lambda c: (c.cmd("status"), c.press("code.cancel")),
    "nothing_to_stop": lambda c: (Chat.cmd(c, "stop"), c.cmd("stop")),
    "help": lambda c: c.cmd("help"),
    "privacy": lambda c: c.cmd("privacy"),
    "unknown_command": lambda c: c.cmd("xyzzy"),
    "unsupported_media": lambda c: c.media(),
    "error_try_again": lambda c: c._take(ENGINE.failure(c.state)),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_every_end_message_offers_a_way_on(lang: str, ending: str) -> None:
    chat = start(lang)
    ENDINGS[ending](chat)
    assert has_way_on(chat.outcome), chat.keys
    if chat.state is None or (chat.state.step is None and not chat.state.menu):
        # nothing in progress: the last message itself carries the two ways on
        last = chat.outcome.replies[-1]
        assert [b.value for row in last.buttons for b in row] == IDLE_WAYS, chat.keys
        for value in IDLE_WAYS:  # and they work, whatever is stored
            out = ENGINE.handle(chat.state, _press(chat, value))
            if out.action is None:  # with the report open: straight to its status
                assert out.replies and out.replies[0].key != "button_stale", value


def _press(chat: Chat, value: str) -> Press:
    return Press(chat.button(value).turn, value)


def test_every_state_of_a_walk_offers_a_way_on() -> None:
    """Each state a report goes through, and each overlay, asked again as after a
    restart: there is always something to tap or a question to answer."""
    chat = start()
    seen: list[State] = []
    for _ in range(30):
        if chat.step == "summary":
            break
        assert chat.state is not None
        seen.append(chat.state)
        chat.answer_current({})
    for value in ("edit", "add.story"):
        chat.press(value)
        assert chat.state is not None
        seen.append(chat.state)
    chat.press("back")
    chat.press("submit")
    chat.receipt_drawn(CODE)
    assert chat.state is not None
    seen.append(chat.state)
    for state in seen:
        again = ENGINE.reprompt(state)
        assert again and has_way_on(Outcome(state, again)), state


# --- the story at the summary: add to it or tell it again; "terug" -----------------------


def _at_summary(lang: str = "nl") -> Chat:
    chat = start(lang)
    chat.walk_to("summary")
    return chat


@pytest.mark.parametrize("lang", LANGS)
def test_at_the_summary_the_story_can_be_added_to(lang: str) -> None:
    chat = _at_summary(lang)
    chat.press("edit")
    assert "add.story" in chat.offered and "edit.story" in chat.offered
    chat.press("add.story")
    assert chat.keys == ["story_add"] and chat.offered == ["done", "back"]
    chat.say("Ook zei hij dat ik beter kon stoppen.")
    assert chat.keys == ["story_added"]
    chat.press("done")
    assert chat.step == "summary"
    assert chat.state is not None
    assert chat.state.story == (STORY, "Ook zei hij dat ik beter kon stoppen.")
    assert "beter kon stoppen" in chat.text and STORY[:20] in chat.text


def test_adding_nothing_or_going_back_keeps_the_story() -> None:
    chat = _at_summary()
    chat.press("edit")
    chat.press("add.story")
    chat.press("done")
    assert chat.step == "summary" and chat.state is not None and chat.state.story == (STORY,)
    chat.press("edit")
    chat.press("add.story")
    chat.say("Iets erbij.")
    chat.press("back")
    assert chat.step == "summary" and chat.state is not None and chat.state.story == (STORY,)


@pytest.mark.parametrize("word", ["terug", "Terug!", "ga terug", "back", "Go back", "vorige"])
@pytest.mark.parametrize("how", ["add.story", "edit.story"])
def test_back_typed_while_changing_the_story_goes_back(word: str, how: str) -> None:
    chat = _at_summary()
    chat.press("edit")
    chat.press(how)
    chat.say(word)
    assert chat.step == "summary" and chat.keys == ["summary"]
    assert chat.state is not None and chat.state.story == (STORY,)
    assert word not in chat.text


def test_back_typed_while_first_telling_goes_to_the_question_before() -> None:
    chat = start()
    chat.walk_to("story")
    chat.say("terug")
    assert chat.step == "phase" and chat.keys == ["ask_phase"]
    assert chat.state is not None and chat.state.story == ()
    chat.press("looking")
    assert chat.step == "story" and chat.state is not None
    assert chat.state.answers["phase"] == "looking"


def test_back_inside_a_longer_text_is_story() -> None:
    chat = start()
    chat.walk_to("story")
    chat.say("Ik ging terug naar huis.")
    assert chat.state is not None and chat.state.story == ("Ik ging terug naar huis.",)


def test_the_shortest_way_is_still_at_most_15_inputs() -> None:
    chat = start()
    file_draft(chat)
    assert chat.inputs <= 15


# --- the receipt and the filed message -----------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_and_filed_fit_one_phone_screen_with_one_code(lang: str) -> None:
    """One code, said once; no reference to write down instead."""
    chat = start(lang)
    chat.walk_to("summary")
    chat.press("submit")
    (receipt,) = chat.receipt_drawn(CODE).replies
    chat.press("receipt.saved")
    elsewhere, filed = chat.submitted("SM-2025-ABCD").replies  # where else to go, then filed
    assert (elsewhere.key, filed.key) == ("elsewhere", "filed")
    assert receipt.text.count("4821 0937 5521 8804") == 1
    assert "4821" not in filed.text and "SM-2025-ABCD" not in filed.text
    for text in (receipt.text, filed.text):
        assert len(text) <= 450, len(text)  # roughly one 360x640 screen of chat


# --- when to expect an answer -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("status", ["received", "in_progress"])
def test_the_status_says_by_when_to_expect_an_answer(lang: str, status: str) -> None:
    due = datetime.date(2025, 3, 6)
    found = StatusFound(status, DAY, expect_by=due)
    (view,) = ENGINE.status_result(State.new(lang), found).replies
    assert ENGINE.texts(lang).get("status_expect", date="06-03-2025") in view.text
    late = StatusFound(status, DAY, expect_by=due, overdue=True)
    (view,) = ENGINE.status_result(State.new(lang), late).replies
    assert ENGINE.texts(lang).get("status_expect_late") in view.text
    assert "06-03-2025" not in view.text  # a date already past is not promised


@pytest.mark.parametrize("status", ["waiting", "closed", "withdrawn"])
def test_no_expected_time_when_not_waiting_for_the_adviser(status: str) -> None:
    found = StatusFound(status, DAY, expect_by=datetime.date(2025, 3, 6))
    (view,) = ENGINE.status_result(None, found).replies
    assert "06-03-2025" not in view.text


def test_the_status_says_how_long_the_report_stays_open_here() -> None:
    found = StatusFound("waiting", DAY, reply_token=TOKEN, open_minutes=30)
    (view,) = ENGINE.status_result(State.new("en"), found).replies
    assert ENGINE.texts("en").get("status_unlocked", minutes=30) in view.text
    closed = StatusFound("closed", DAY, open_minutes=30)
    (view,) = ENGINE.status_result(State.new("en"), closed).replies
    assert "30 minutes" not in view.text


# --- a returning student ----------------------------------------------------------------------


def test_status_with_the_code_from_the_welcome_shows_only_the_status() -> None:
    chat = start()
    chat.cmd("status", CODE)
    chat._take(ENGINE.status_result(chat.state, StatusFound("received", DAY)))
    assert chat.keys == ["status_received"]


@pytest.mark.parametrize(
    "result", [StatusNotFound(attempts_left=2), StatusLocked(minutes=15)], ids=["wrong", "locked"]
)
def test_a_wrong_code_from_the_welcome_never_shows_the_first_question(result: object) -> None:
    chat = start()
    chat.press("go.status")
    chat.say(CODE)
    chat._take(ENGINE.status_result(chat.state, result))  # type: ignore[arg-type]
    assert "ask_safety" not in chat.keys and "still_open" not in chat.keys
    assert has_way_on(chat.outcome)


def test_status_command_is_a_command_not_text() -> None:
    out = ENGINE.handle(None, Command("status"))
    assert [r.key for r in out.replies] == ["ask_code"]
