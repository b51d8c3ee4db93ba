"""After filing, in both languages: replying from the status view (text and files) and
withdrawing the report."""

from __future__ import annotations

import json

import pytest

from dialogues import (
    Attachment,
    Outcome,
    SendAttachment,
    SendReply,
    State,
    StatusLocked,
    StatusNotFound,
    Withdraw,
)
from tests.support.dialogue_driver import ENGINE, Chat, start
from tests.support.status_view import CODE, LANGS, TOKEN, found, viewing


def _stored(state: State | None) -> str:
    return json.dumps(None if state is None else state.to_json())


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
