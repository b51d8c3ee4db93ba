"""The new ways through the conversation, in both languages, before filing: the threat
answer, picking a known workplace, the SBB question for mbo, and asking for news at
submit. After filing: test_dialogues_followup_status.py and _reply.py."""

from __future__ import annotations

import pytest

from dialogues import (
    Attachment,
    DrawReceipt,
    Engine,
    FlowContext,
    Press,
    Submit,
)
from tests.support.dialogue_driver import ENGINE, SCHOOLS, Chat, check_outcome, file_draft, start
from tests.support.status_view import LANGS

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


def _confirm(chat: Chat) -> Submit:
    """Submit on the summary, the code drawn, "I have saved it": the Submit action."""
    assert isinstance(chat.press("submit").action, DrawReceipt)
    chat.receipt_drawn()
    submit = chat.press("receipt.saved").action
    assert isinstance(submit, Submit)
    return submit
