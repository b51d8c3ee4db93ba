"""The student's side of company patterns in the engine: the workplace's town and KvK
number, the matching question (yes / no / explain) only after a workplace, and in
/status the pattern line and the buttons that let the adviser share the report."""

from __future__ import annotations

import datetime

import pytest

from dialogues import AllowShare, CheckStatus, Press, State, StatusFound, Submit
from tests.support.dialogue_driver import ENGINE, Chat, check_outcome, file_draft, start

CODE = "4821093755218804"
TOKEN = "tok.v1_4f9a-Zq~"
DAY = datetime.date(2026, 3, 4)


def test_skipping_the_workplace_asks_nothing_about_matching() -> None:
    chat = start()
    chat.walk_to("workplace")
    chat.press("skip")
    assert chat.step == "sector"  # the next question, no matching ones
    draft = file_draft(start(), {}).draft  # the default walk skips the workplace
    assert not draft.pattern_consent and draft.workplace_kvk == ""


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_explain_shows_why_and_asks_the_same_question_again(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("pattern_consent", {"workplace": ("haga",)})
    before = chat.state
    chat.press("explain")
    assert chat.keys == ["pattern_consent_explained", "ask_pattern_consent"]
    assert chat.step == "pattern_consent" and chat.state is not None and before is not None
    assert chat.state.answers == before.answers  # nothing answered
    chat.press("yes")
    assert chat.step == "sector"


def test_a_typed_company_with_town_kvk_and_consent_lands_in_the_draft() -> None:
    draft = file_draft(
        start(),
        {
            "workplace": "albert heijn bv",
            "workplace_town": "Delft",
            "workplace_kvk": "3501 2085",
            "pattern_consent": "yes",
        },
    ).draft
    assert (draft.workplace, draft.workplace_town, draft.workplace_kvk) == (
        "albert heijn bv",
        "Delft",
        "35012085",
    )
    assert draft.pattern_consent


@pytest.mark.parametrize("typed", ["1234567", "123456789", "abcdefgh", "1234 567x", "١٢٣٤٥٦٧٨"])
def test_a_wrong_kvk_number_is_refused_kindly_and_changes_nothing(typed: str) -> None:
    chat = start()
    chat.walk_to("workplace_kvk", {"workplace": "Bakkerij Jansen"})
    before = chat.state
    out = chat.say(typed)
    check_outcome(out)
    assert chat.keys == ["kvk_invalid", "ask_workplace_kvk"]
    assert chat.state == before


def test_saying_no_keeps_the_name_but_no_consent() -> None:
    chat = start()
    draft = file_draft(chat, {"workplace": "Hema", "pattern_consent": "no"}).draft
    assert draft.workplace == "Hema" and not draft.pattern_consent


def in_pattern(may_share: tuple[str, ...], token: str = TOKEN) -> StatusFound:
    return StatusFound(
        "in_progress", DAY, reference="SM-AAAA-BBBB", reply_token=token, pattern=True,
        may_share=may_share,
    )  # fmt: skip


def status_view(result: StatusFound, lang: str = "nl") -> Chat:
    chat = Chat(lang_hint=lang)
    assert chat.cmd("status", CODE).action == CheckStatus(CODE)
    chat._take(ENGINE.status_result(chat.state, result))
    return chat


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_status_says_pattern_and_offers_sharing_which_becomes_an_action(lang: str) -> None:
    chat = status_view(in_pattern(("network", "sbb")), lang)
    assert ENGINE.texts(lang).get("status_in_pattern")[:30] in chat.text
    assert {"status.share_network", "status.share_sbb"} <= set(chat.offered)
    out = chat.press("status.share_sbb")
    assert out.action == AllowShare(TOKEN, "sbb")
    # the report stays open for the visit (the code once); the offer to share is gone
    assert chat.state is not None and chat.state.token == TOKEN and chat.state.share == ()
    told = ENGINE.share_result(chat.state, True)
    assert told.replies[0].key == "share_allowed"
    assert ENGINE.share_result(chat.state, False).replies[0].key == "share_not_recorded"


def test_no_pattern_no_line_and_no_share_buttons() -> None:
    plain = StatusFound("in_progress", DAY, reference="SM-AAAA-BBBB", reply_token=TOKEN)
    chat = status_view(plain)
    assert not any(v.startswith("status.share") for v in chat.offered)
    assert ENGINE.texts("nl").get("status_in_pattern")[:30] not in chat.text
    # a forged press for a share that was never offered is stale, not an action
    assert chat.state is not None
    out = chat.send(Press(chat.state.turn, "status.share_network"))
    assert out.action is None and out.replies[0].key == "button_stale"


def test_the_share_offer_survives_a_restart_and_is_dropped_when_the_view_closes() -> None:
    chat = status_view(in_pattern(("network",)))
    state = chat.state
    assert state is not None
    again = State.from_json(state.to_json())
    assert again.share == ("network",)
    with pytest.raises(ValueError):
        State.from_json({**state.to_json(), "share": ["everyone"]})
    chat.press("status.close")
    assert chat.state is None or chat.state.share == ()


def test_a_closed_report_offers_no_sharing() -> None:
    chat = status_view(in_pattern(("network",), token=""))
    assert not any(v.startswith("status.share") for v in chat.offered)


def test_submit_carries_the_consent() -> None:
    chat = start()
    out = file_draft(chat, {"workplace": ("gemeente",), "pattern_consent": "yes"})
    assert isinstance(out, Submit) and out.draft.pattern_consent
    assert out.draft.workplace_org == "gemeente" and out.draft.workplace_kvk == ""
