"""The new ways through the conversation, in both languages: the threat answer, picking a
known workplace, the SBB question for mbo, asking for news at submit, and after filing:
the status with the adviser's messages, replying (text and files) and withdrawing."""

from __future__ import annotations

import datetime
import json

import pytest

from dialogues import (
    Attachment,
    CheckStatus,
    DrawReceipt,
    Engine,
    FlowContext,
    Outcome,
    Press,
    SendAttachment,
    SendReply,
    State,
    StatusExpired,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    Submit,
    ThreadEntry,
    Withdraw,
)
from tests.support.dialogue_driver import ENGINE, SCHOOLS, Chat, check_outcome, file_draft, start

LANGS = ["nl", "en"]
CODE = "4821093755218804"
TOKEN = "tok.v1_4f9a-Zq~"
DAY = datetime.date(2025, 3, 4)
NASTY = "<b>x</b> & <script>alert(1)</script> &amp; <i"
ESCAPED = "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &lt;i"


def found(token: str = TOKEN, *thread: ThreadEntry, status: str = "waiting") -> StatusFound:
    return StatusFound(status, DAY, reference="SM-2025-0042", thread=thread, reply_token=token)


def adviser(text: str, day: int = 4) -> ThreadEntry:
    return ThreadEntry("adviser", text, "", datetime.date(2025, 3, day))


def student(text: str, day: int = 5) -> ThreadEntry:
    return ThreadEntry("student", text, "", datetime.date(2025, 3, day))


def event(code: str, day: int = 3) -> ThreadEntry:
    return ThreadEntry("event", "", code, datetime.date(2025, 3, day))


def viewing(lang: str = "nl", result: StatusFound | None = None, chat: Chat | None = None) -> Chat:
    """A student who sent /status with a good code and sees the status view."""
    chat = chat or Chat(lang_hint=lang)
    out = chat.cmd("status", CODE)
    assert out.action == CheckStatus(CODE)
    chat._take(ENGINE.status_result(chat.state, result or found(TOKEN, adviser("Hoi!"))))
    return chat


def _stored(state: State | None) -> str:
    return json.dumps(None if state is None else state.to_json())


# --- safety: threatened, not in danger now ----------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_threat_is_acknowledged_and_marks_the_draft(lang: str) -> None:
    chat = start(lang)
    chat.press("threat")
    assert chat.keys == ["threat_noted", "ask_phase"]
    assert "112" in chat.text
    draft = file_draft(chat).draft
    assert draft.threat and not draft.danger


@pytest.mark.parametrize(
    ("option", "danger", "threat"), [("yes", True, False), ("no", False, False)]
)
def test_danger_and_threat_are_separate(option: str, danger: bool, threat: bool) -> None:
    draft = file_draft(start(), {"safety": option}).draft
    assert (draft.danger, draft.threat) == (danger, threat)


# --- the workplace: known organizations as buttons -----------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_known_workplaces_are_buttons_and_picking_one_names_the_org(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("workplace")
    assert chat.offered == ["haga", "gemeente", "skip"]
    assert [b.label for b in chat.buttons[:2]] == ["HagaZiekenhuis", "Gemeente Den Haag & Co"]
    assert ENGINE.texts(lang).get("pick_or_type") in chat.text
    chat.press("gemeente")
    assert chat.step == "pattern_consent"  # a pick: no town or KvK number asked
    chat.press("yes")
    assert chat.step == "sector"
    chat.walk_to("summary")
    assert "Gemeente Den Haag &amp; Co" in chat.text  # escaped in the summary
    draft = _confirm(chat)
    assert isinstance(draft, Submit)
    assert (draft.draft.workplace, draft.draft.workplace_org) == (
        "Gemeente Den Haag & Co",
        "gemeente",
    )


def test_typing_a_known_workplace_picks_it_and_any_other_name_is_kept_as_typed() -> None:
    draft = file_draft(start(), {"workplace": "hagaziekenhuis"}).draft
    assert (draft.workplace, draft.workplace_org) == ("HagaZiekenhuis", "haga")
    draft = file_draft(start(), {"workplace": "Bakkerij De Korst"}).draft
    assert (draft.workplace, draft.workplace_org) == ("Bakkerij De Korst", "")
    draft = file_draft(start(), {"workplace": ""}).draft
    assert (draft.workplace, draft.workplace_org) == ("", "")


def test_a_picked_workplace_can_be_changed_to_a_typed_one_from_the_summary() -> None:
    chat = start()
    chat.walk_to("summary", {"workplace": ("haga",)})
    chat.press("edit")
    chat.press("edit.workplace")
    assert "haga" in chat.offered
    chat.say("Bakkerij De Korst")
    assert chat.step == "workplace_town"  # typed now: where is it, and its KvK number
    chat.say("Delft")
    assert chat.step == "workplace_kvk"
    chat.say("nummer kwijt")
    assert chat.keys[0] == "kvk_invalid" and chat.step == "workplace_kvk"  # asked again
    chat.say("12.34.56.78")
    assert chat.step == "summary"  # the matching answer given for the pick still stands
    draft = _confirm(chat)
    assert isinstance(draft, Submit) and draft.draft.workplace_org == ""
    assert (draft.draft.workplace_town, draft.draft.workplace_kvk) == ("Delft", "12345678")


def test_a_workplace_removed_from_the_config_is_asked_again() -> None:
    chat = start()
    chat.walk_to("summary", {"workplace": ("haga",)})
    smaller = Engine(FlowContext(schools=SCHOOLS, workplaces=(("gemeente", "Gemeente"),)))
    out = smaller.handle(chat.state, Attachment("photo", "f1", "a.jpg", 10))
    check_outcome(out)
    assert out.state is not None and out.state.step == "workplace"


# --- SBB-recognised: only mbo, only with the workplace allowed ----------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("answer", ["yes", "no", "unknown"])
def test_mbo_with_the_workplace_allowed_asks_about_recognition(lang: str, answer: str) -> None:
    chat = start(lang)
    chat.walk_to("visibility", {"school": "mondriaan"})
    chat.press("school_and_workplace")
    assert chat.keys == ["ask_recognised"] and chat.offered == ["yes", "no", "unknown"]
    chat.press(answer)
    assert chat.step == "summary"
    assert ENGINE.texts(lang).get("sum_recognised") in chat.text
    submit = _confirm(chat)
    assert isinstance(submit, Submit) and submit.draft.recognised == answer
    assert chat.inputs <= 16  # one more than the shortest way (15)


@pytest.mark.parametrize(
    ("school", "visibility"),
    [("hhs", "school_and_workplace"), ("mondriaan", "school"), ("mondriaan", "network")],
)
def test_recognition_is_not_asked_otherwise(school: str, visibility: str) -> None:
    chat = start()
    draft = file_draft(chat, {"school": school, "visibility": visibility}).draft
    assert draft.recognised == ""
    assert "ask_recognised" not in chat.keys


def test_changing_the_school_or_visibility_asks_or_drops_recognition() -> None:
    chat = start()
    chat.walk_to("summary", {"school": "mondriaan", "visibility": "school_and_workplace"})
    assert chat.state is not None and chat.state.answers["recognised"] == "unknown"
    chat.press("edit")
    chat.press("edit.school")
    chat.press("hhs")  # hbo: the question no longer applies
    assert chat.step == "summary" and "recognised" not in chat.state.answers
    chat.press("edit")
    assert "edit.recognised" not in chat.offered
    chat.press("edit.school")
    chat.press("mondriaan")  # mbo again: asked, then back to the summary
    assert chat.step == "recognised"
    chat.press("yes")
    assert chat.step == "summary"


# --- asking for news at submit -------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("value", ["submit", "submit.push"])
def test_a_channel_that_can_push_offers_two_submits(lang: str, value: str) -> None:
    chat = start(lang, can_push=True)
    chat.walk_to("summary")
    assert chat.offered == ["submit", "submit.push", "edit", "stop"]
    assert ENGINE.texts(lang).get("summary_push_note") in chat.text
    out = chat.press(value)
    assert out.action == DrawReceipt(push=value == "submit.push")
    chat.receipt_drawn()
    out = chat.press("receipt.saved")
    assert isinstance(out.action, Submit) and out.action.push == (value == "submit.push")
    assert chat.inputs <= 15  # no extra tap for asking


def test_without_push_there_is_one_submit_and_a_forged_push_is_stale() -> None:
    chat = start(can_push=False)
    chat.walk_to("summary")
    assert chat.offered == ["submit", "edit", "stop"]
    before = chat.state
    assert before is not None
    out = ENGINE.handle(before, Press(before.turn, "submit.push"))
    assert out.action is None and out.replies[0].key == "button_stale" and out.state == before


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


# --- replying ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_reply_with_text_then_sent(lang: str) -> None:
    chat = viewing(lang)
    chat.press("status.reply")
    assert chat.keys == ["ask_reply"] and chat.offered == ["reply.cancel"]
    assert chat.state is not None and chat.state.expecting == "reply"
    out = chat.say("  Dank je, ik kan dinsdag.  ")
    assert out.action == SendReply(TOKEN, "Dank je, ik kan dinsdag.") and out.replies == ()
    assert "dinsdag" not in _stored(out.state)  # the words travel only in the action
    chat._take(ENGINE.reply_result(chat.state, "sent"))
    assert chat.keys == ["reply_sent"]
    # send more, or close, without the code again
    assert chat.offered == ["status.reply", "status.withdraw", "status.close"]
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.expecting == ""
    chat.press("status.reply")
    assert chat.say("Nog iets.").action == SendReply(TOKEN, "Nog iets.")


@pytest.mark.parametrize("lang", LANGS)
def test_a_reply_that_expired_or_failed(lang: str) -> None:
    chat = viewing(lang)
    chat.press("status.reply")
    chat.say("Hallo")
    chat._take(ENGINE.reply_result(chat.state, "failed"))
    assert chat.keys == ["reply_failed"]
    assert chat.state is not None and chat.state.expecting == "reply"  # just send it again
    out = chat.say("Hallo")
    assert out.action == SendReply(TOKEN, "Hallo")
    chat._take(ENGINE.reply_result(chat.state, "expired"))
    assert chat.keys == ["reply_expired"] and "go.status" in chat.offered
    assert chat.state is None or chat.state.token == ""


def test_a_reply_too_long_or_empty_changes_nothing() -> None:
    chat = viewing()
    chat.press("status.reply")
    before = chat.state
    chat.say("x" * 4001)
    assert chat.keys == ["text_too_long"] and "4000" in chat.text and chat.state == before
    chat.say("   ")
    assert chat.keys == ["ask_reply"] and chat.state == before
    assert chat.say("x" * 4000).action == SendReply(TOKEN, "x" * 4000)


def test_while_replying_text_is_the_message_not_a_request() -> None:
    chat = viewing()
    chat.press("status.reply")
    assert chat.say("ik wil stoppen").action == SendReply(TOKEN, "ik wil stoppen")


@pytest.mark.parametrize("how", ["command", "button"])
def test_stop_or_cancel_leaves_reply_mode_and_keeps_the_report_open(how: str) -> None:
    chat = viewing()
    chat.press("status.reply")
    if how == "command":
        chat.cmd("stop")
    else:
        chat.press("reply.cancel")
    assert chat.keys[0] == "reply_cancelled"
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.expecting == ""


def test_start_ends_replying_and_keeps_the_report_open() -> None:
    chat = viewing()
    chat.press("status.reply")
    chat.cmd("start")
    assert chat.keys == ["welcome"]
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.expecting == ""


@pytest.mark.parametrize("kind", ["photo", "document"])
def test_a_file_while_replying_is_sent(kind: str) -> None:
    chat = viewing()
    chat.press("status.reply")
    out = chat.send(Attachment(kind, "AgACAgQAAxkBAAI", "bewijs.pdf", 10 * 1024 * 1024))
    assert out.action == SendAttachment(TOKEN, "AgACAgQAAxkBAAI", kind, "bewijs.pdf")
    assert "AgACAgQ" not in _stored(out.state)
    chat._take(ENGINE.reply_result(chat.state, "sent"))
    assert chat.keys == ["reply_sent"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_too_large_is_refused_kindly(lang: str) -> None:
    chat = viewing(lang)
    chat.press("status.reply")
    before = chat.state
    out = chat.send(Attachment("document", "ref", "groot.zip", 10 * 1024 * 1024 + 1))
    assert out.action is None and chat.keys == ["attachment_too_large"] and "10 MB" in chat.text
    assert chat.state == before


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_outside_reply_mode_points_to_status(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("story")
    before = chat.state
    out = chat.send(Attachment("photo", "ref", "", 100))
    assert out.action is None and chat.keys == ["attachment_not_now", "ask_story"]
    assert "/status" in chat.text and chat.state == before


# --- withdrawing ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_withdraw_with_a_code(lang: str) -> None:
    chat = Chat(lang_hint=lang)
    chat.cmd("withdraw")
    assert chat.keys == ["withdraw_confirm"]
    assert chat.offered == ["withdraw.yes", "withdraw.no"]
    t = ENGINE.texts(lang).get("withdraw_confirm")
    assert t == chat.text
    chat.press("withdraw.yes")
    assert chat.keys == ["withdraw_ask_code"]
    assert chat.state is not None and chat.state.awaiting_code  # the channel hides the message
    chat.say("1234")
    assert chat.keys == ["code_format"] and chat.state.awaiting_code
    out = chat.say("4821-0937-5521-8804")
    assert out.action == Withdraw(code=CODE) and out.replies == ()
    assert CODE not in _stored(out.state) and "4821" not in _stored(out.state)
    chat._take(ENGINE.withdraw_result(chat.state, "withdrawn"))
    assert chat.keys == ["withdraw_done"]


def test_withdraw_from_the_status_view_needs_no_code() -> None:
    chat = viewing()
    chat.press("status.withdraw")
    assert chat.keys == ["withdraw_confirm"]
    out = chat.press("withdraw.yes")
    assert out.action == Withdraw(token=TOKEN) and out.replies == ()
    chat._take(ENGINE.withdraw_result(chat.state, "withdrawn"))
    assert chat.keys == ["withdraw_done"]
    assert chat.state is None or chat.state.token == ""  # a withdrawn report: nothing to open


def test_withdraw_typed_while_the_status_view_is_open_uses_its_token() -> None:
    chat = viewing()
    chat.cmd("withdraw")
    assert chat.press("withdraw.yes").action == Withdraw(token=TOKEN)


def test_no_keeps_the_report_and_keeps_it_open() -> None:
    chat = viewing()
    chat.press("status.withdraw")
    chat.press("withdraw.no")
    assert chat.keys == ["withdraw_cancelled"] and "go.status" in chat.offered
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.menu == ""


def test_withdraw_in_words() -> None:
    chat = start()
    chat.walk_to("when")
    chat.say("ik wil mijn melding intrekken")
    assert chat.keys == ["withdraw_confirm"]
    chat.press("withdraw.no")
    assert chat.keys == ["withdraw_cancelled", "still_open", "ask_when"]


@pytest.mark.parametrize(
    ("result", "key"),
    [
        (StatusNotFound(attempts_left=2), "status_not_found"),
        (StatusLocked(minutes=15), "status_locked"),
        ("expired", "withdraw_expired"),
        ("failed", "error_try_again"),
    ],
)
def test_withdraw_results_mid_report(result: object, key: str) -> None:
    chat = start()
    chat.walk_to("grounds")
    chat.cmd("withdraw")
    chat.press("withdraw.yes")
    chat.say(CODE)
    out: Outcome = ENGINE.withdraw_result(chat.state, result)  # type: ignore[arg-type]
    chat._take(out)
    assert chat.keys[0] == key
    if isinstance(result, StatusNotFound):
        assert chat.keys == [key] and "2" in chat.text
        assert chat.state is not None and chat.state.expecting == "withdraw_code"
        assert chat.say(CODE).action == Withdraw(code=CODE)
    else:
        assert chat.keys == [key, "still_open", "ask_grounds"]
        assert chat.state is not None and chat.state.expecting == ""


def test_stop_while_asked_for_a_withdraw_code_cancels_only_that() -> None:
    chat = start()
    chat.walk_to("when")
    chat.cmd("withdraw")
    chat.press("withdraw.yes")
    chat.cmd("stop")
    assert chat.keys == ["withdraw_cancelled", "ask_when"]
    assert chat.state is not None and chat.state.answers.get("phase") == "interview"


def test_the_engine_never_keeps_a_receipt_code() -> None:
    """Every way a code can be typed: none of them leaves the digits in the state."""
    chat = Chat()
    seen: list[str] = []
    for step in (
        lambda: chat.cmd("status", "4821 0937 5521 8804"),
        lambda: chat.cmd("status"),
        lambda: chat.say("4821-0937-5521-8804"),
        lambda: chat._take(ENGINE.status_result(chat.state, StatusNotFound(3))),
        lambda: chat.say("4821093755218804"),
        lambda: chat._take(ENGINE.status_result(chat.state, found())),
        lambda: chat.cmd("withdraw", "4821 0937 5521 8804"),
        lambda: chat.press("withdraw.yes"),
        lambda: chat.cmd("withdraw"),
        lambda: chat.say("4821 0937 5521 8804"),
        lambda: chat.cmd("withdraw"),
        lambda: chat.press("withdraw.yes"),
        lambda: chat.say("4821 0937 5521 8804"),
        lambda: chat._take(ENGINE.withdraw_result(chat.state, StatusNotFound(2))),
        lambda: chat.say("4821 0937 5521 8804"),
    ):
        step()  # type: ignore[no-untyped-call]
        seen.append(_stored(chat.state))
    for stored in seen:
        assert "4821" not in stored and "8804" not in stored


def _confirm(chat: Chat) -> Submit:
    """Submit on the summary, the code drawn, "I have saved it": the Submit action."""
    assert isinstance(chat.press("submit").action, DrawReceipt)
    chat.receipt_drawn()
    submit = chat.press("receipt.saved").action
    assert isinstance(submit, Submit)
    return submit


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_in_the_thread_is_named_in_words_not_by_an_emoji_alone(lang: str) -> None:
    sent = ThreadEntry("student", "", "", DAY, file="<b>scan</b>.pdf")
    chat = viewing(lang, found(TOKEN, sent))
    line = ENGINE.texts(lang).get("thread_file", name="&lt;b&gt;scan&lt;/b&gt;.pdf")
    assert line in chat.text and any(word in line for word in ("Bestand", "File"))
