"""After filing, in both languages: the status with the adviser's messages, escaped and
fitted to one message, and closing the view again."""

from __future__ import annotations

import datetime

import pytest

from dialogues import (
    CheckStatus,
    SendReply,
    StatusExpired,
    ThreadEntry,
)
from tests.support.dialogue_driver import ENGINE, start
from tests.support.status_view import CODE, DAY, LANGS, TOKEN, adviser, found, viewing

NASTY = "<b>x</b> & <script>alert(1)</script> &amp; <i"
ESCAPED = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &lt;i"


def student(text: str, day: int = 5) -> ThreadEntry:
    return ThreadEntry("student", text, "", datetime.date(2025, 3, day))


def event(code: str, day: int = 3) -> ThreadEntry:
    return ThreadEntry("event", "", code, datetime.date(2025, 3, day))


# --- the status view ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_status_shows_reference_messages_and_buttons(lang: str) -> None:
    chat = viewing(
        lang,
        found(
            TOKEN,
            event("handover_colleague", 1),
            adviser("Dag! Kun je vertellen wanneer dit was?", 2),
            student("Vorige week dinsdag.", 3),
            event("status_waiting", 4),
        ),
    )
    (view,) = chat.outcome.replies
    t = ENGINE.texts(lang)
    assert view.key == "status_waiting" and view.protect
    assert "SM-2025-0042" in view.text
    assert t.get("event_handover_colleague") in view.text
    assert t.get("event_status_waiting") in view.text
    assert view.text.index("Dag!") < view.text.index("Vorige week")  # oldest first
    assert t.get("thread_cut") not in view.text
    assert chat.offered == ["status.reply", "status.withdraw", "status.close"]
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.menu == "status"


@pytest.mark.parametrize("code", ["handover_colleague", "handover_org"])
def test_a_handover_is_told_in_general_terms(code: str) -> None:
    chat = viewing("en", found(TOKEN, event(code)))
    assert "taken over your report" in chat.text
    assert "SBB" not in chat.text and "Inholland" not in chat.text


def test_an_unknown_event_is_told_generally() -> None:
    chat = viewing("en", found(TOKEN, event("reindexed")))
    assert ENGINE.texts("en").get("event_other") in chat.text


def test_user_text_in_the_thread_is_escaped() -> None:
    chat = viewing("nl", found(TOKEN, adviser(NASTY), student(NASTY)))
    assert chat.text.count(ESCAPED) == 2
    assert "<script>" not in chat.text


@pytest.mark.parametrize("char", ["x", "&", "<", "😀"])
def test_a_huge_thread_fits_one_message_and_says_older_ones_are_left_out(char: str) -> None:
    first = datetime.date(2025, 1, 1)
    thread = tuple(
        ThreadEntry(
            "adviser" if i % 2 else "student",
            f"bericht {i} " + char * 4000,
            "",
            first + datetime.timedelta(days=i),
        )
        for i in range(60)
    )
    chat = viewing("nl", found(TOKEN, *thread, status="in_progress"))
    (view,) = chat.outcome.replies
    assert len(view.text) <= 4096
    assert ENGINE.texts("nl").get("thread_cut") in view.text
    assert "bericht 59" in view.text  # the newest is there, cut with an ellipsis
    assert "bericht 0 " not in view.text


def test_a_short_thread_is_shown_whole() -> None:
    thread = tuple(adviser(f"bericht {i}", day=1 + i) for i in range(10))
    chat = viewing("nl", found(TOKEN, *thread))
    assert all(f"bericht {i}" in chat.text for i in range(10))
    assert ENGINE.texts("nl").get("thread_cut") not in chat.text
    assert "…" not in chat.text


def test_a_closed_report_offers_only_done() -> None:
    chat = viewing("nl", found("", adviser("We sluiten af."), status="closed"))
    assert chat.offered == ["status.close"]
    assert chat.state is not None and chat.state.token == ""


def test_done_closes_the_view_and_keeps_the_report_open_for_the_visit() -> None:
    """After a correct code, no code again for the rest of the visit."""
    chat = viewing()
    chat.press("status.close")
    assert chat.keys == ["status_done_open"]
    assert chat.offered == ["go.report", "go.status"]  # a way on, not a bare line
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.menu == ""
    out = chat.press("go.status")  # "check my report": no code asked
    assert out.action == CheckStatus(token=TOKEN) and out.replies == ()
    out = chat.cmd("status")
    assert out.action == CheckStatus(token=TOKEN)
    chat._take(ENGINE.status_result(chat.state, found(TOKEN, adviser("Nieuw bericht"))))
    assert chat.keys == ["status_waiting"] and "Nieuw bericht" in chat.text
    chat.press("status.reply")
    assert chat.say("Dank je").action == SendReply(TOKEN, "Dank je")


def test_a_report_that_closed_again_asks_for_the_code_once_more() -> None:
    chat = viewing()
    chat.press("status.close")
    chat.press("go.status")
    chat._take(ENGINE.status_result(chat.state, StatusExpired()))
    assert chat.keys == ["unlock_expired"] and chat.offered == ["code.cancel"]
    assert chat.state is not None and chat.state.token == "" and chat.state.awaiting_code
    assert chat.say(CODE).action == CheckStatus(CODE)


def test_stop_with_nothing_but_the_open_report_closes_it() -> None:
    chat = viewing()
    chat.press("status.close")
    chat.cmd("stop")
    assert chat.keys == ["locked"] and chat.offered == ["go.report", "go.status"]
    assert chat.state is None or chat.state.token == ""
    out = chat.press("go.status")
    assert out.action is None and chat.keys == ["ask_code"]


def test_status_mid_report_shows_only_the_status_then_the_draft() -> None:
    """A returning student sees the status and the adviser's message, nothing else,
    until the student asks for more (Done): then where they were in the draft."""
    chat = start()
    chat.walk_to("when")
    answers = chat.state.answers if chat.state else {}
    chat.cmd("status")
    chat.say(CODE)
    chat._take(ENGINE.status_result(chat.state, found(TOKEN, adviser("Hoi"))))
    assert chat.keys == ["status_waiting"] and "Hoi" in chat.text
    assert chat.offered == ["status.reply", "status.withdraw", "status.close"]
    assert chat.state is not None and chat.state.answers == answers
    chat.press("status.close")
    assert chat.keys == ["status_done_draft", "still_open", "ask_when"]
    assert "/status" in chat.text  # no "check my report" button here: the draft's question
    chat.press("week")
    assert chat.step == "school" and chat.state.token == TOKEN


@pytest.mark.parametrize("how", ["command", "button"])
def test_a_returning_student_sees_only_the_status(how: str) -> None:
    """The welcome's first question, unanswered, is no draft to come back to: after the
    status nothing about "the report you were filling in"."""
    chat = start()
    if how == "button":
        chat.press("go.status")  # the welcome's "check my report"
        assert chat.keys == ["ask_code"] and chat.offered == ["code.cancel"]
        chat.say(CODE)
    else:
        chat.cmd("status", CODE)
    chat._take(ENGINE.status_result(chat.state, found(TOKEN, adviser("Kun je dinsdag?"))))
    assert chat.keys == ["status_waiting"] and "Kun je dinsdag?" in chat.text
    assert ENGINE.texts("nl").get("ask_safety") not in chat.text
    assert chat.state is not None and chat.state.step is None
    chat.press("status.close")
    assert chat.keys == ["status_done_open"] and chat.offered == ["go.report", "go.status"]
    chat.press("go.report")  # asking for more: the welcome again
    assert chat.keys == ["welcome"]


def test_a_code_prompt_can_be_cancelled_with_a_button() -> None:
    chat = start()
    chat.walk_to("grounds")
    chat.cmd("status")
    chat.press("code.cancel")
    assert chat.keys == ["code_cancelled", "ask_grounds"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_in_the_thread_is_named_in_words_not_by_an_emoji_alone(lang: str) -> None:
    sent = ThreadEntry("student", "", "", DAY, file="<b>scan</b>.pdf")
    chat = viewing(lang, found(TOKEN, sent))
    line = ENGINE.texts(lang).get("thread_file", name="&lt;b&gt;scan&lt;/b&gt;.pdf")
    assert line in chat.text and any(word in line for word in ("Bestand", "File"))
