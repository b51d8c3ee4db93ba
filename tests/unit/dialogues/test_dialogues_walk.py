"""Every path through the report flow, in both languages: the shortest way to the
receipt, every option of every step, both branches of the yes/no questions, and the story.
A change from the summary and the sector are in test_dialogues_walk_summary.py; stopping,
a status or a language switch half-way in test_dialogues_walk_interruptions.py."""

from __future__ import annotations

import json
import re

import pytest

from dialogues import (
    Command,
    Draft,
    DrawReceipt,
    EraseChat,
    Press,
    Submit,
)
from tests.support.dialogue_driver import ENGINE, SCHOOLS, STORY, file_draft, start
from tests.support.walk_helpers import LANGS, REACH, draft_value, step_options

CHOICES = [
    (step.id, option)
    for step in ENGINE.flow.steps
    if step.kind == "choice"
    for option in step_options(step.id)
    if option != step.explain  # it explains and asks again: it lands nowhere
]


# --- the shortest way, and the receipt -----------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_from_start_to_submit_takes_at_most_15_inputs(lang: str) -> None:
    """15: the 14 of old and "I have saved my code" (the code is shown before
    filing)."""
    chat = start(lang)
    submit = file_draft(chat)
    assert chat.inputs <= 15
    assert chat.outcome.replies == ()  # nothing says "filed" before storage has it
    assert submit.draft == Draft(
        lang=lang,
        phase="interview",
        story=STORY,
        grounds=("religion",),
        when="month",
        school="hhs",
        workplace="",
        evidence="no",
        evidence_note="",
        wants="talk",
        visibility="school",
        danger=False,
        threat=False,
        workplace_org="",
        recognised="",
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_receipt_shows_the_code_in_groups_and_holds_no_report(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("summary", {"workplace": "Bakkerij De Korst"})
    chat.press("submit")
    out = chat.receipt_drawn("4821093755218804")
    (receipt,) = out.replies
    assert receipt.key == "receipt" and receipt.protect
    assert "4821 0937 5521 8804" in receipt.text
    assert chat.offered == ["receipt.saved", "receipt.back"]
    chat.press("receipt.saved")
    out = chat.submitted(reference="SM-2025-<X>")
    elsewhere, filed = out.replies  # where else the student can go first
    assert elsewhere.key == "elsewhere"
    assert filed.key == "filed" and filed.protect
    # the advisers' reference is not shown where it could be taken for the code
    assert "SM-2025" not in filed.text
    assert "4821" not in filed.text  # shown once, before filing
    assert len(receipt.text) + len(filed.text) < 800  # each fits on one phone screen
    assert chat.offered == ["erase", "keep"]
    assert chat.state is None  # nothing of the conversation is kept


@pytest.mark.parametrize("lang", LANGS)
def test_the_code_is_shown_before_filing_and_kept_only_on_that_screen(lang: str) -> None:
    """Submit draws a code and shows it with "save it now"; nothing is filed until "I
    have saved it", and back to the summary forgets the code."""
    chat = start(lang)
    chat.walk_to("summary")
    out = chat.press("submit")
    assert out.action == DrawReceipt() and out.replies == ()
    chat.receipt_drawn("1111222233334444")
    assert chat.state is not None and chat.state.receipt == "1111222233334444"
    assert chat.engine.reprompt(chat.state)[0].key == "receipt"  # a crash shows it again
    chat.cmd("help")
    assert chat.keys[-1] == "receipt" and "1111 2222 3333 4444" in chat.text
    chat.say("hallo")  # a greeting asks "continue or start over?" and keeps the code
    chat.press("resume.continue")
    assert chat.keys == ["receipt"] and "1111 2222 3333 4444" in chat.text
    chat.cmd("language")
    chat.press("lang.en" if lang == "nl" else "lang.nl")
    assert chat.keys == ["receipt"] and "1111 2222 3333 4444" in chat.text
    chat.press("receipt.back")
    assert chat.keys == ["summary"] and chat.state is not None and chat.state.receipt == ""
    assert "1111" not in json.dumps(chat.state.to_json())
    chat.press("submit")
    chat.receipt_drawn("5555666677778888", again=True)
    assert chat.keys == ["receipt_taken", "receipt"]
    submit = chat.press("receipt.saved").action
    assert isinstance(submit, Submit) and submit.receipt == "5555666677778888"


def test_delete_from_chat_after_the_receipt() -> None:
    chat = start()
    file_draft(chat)
    chat.submitted()
    out = chat.press("erase")
    assert out.action == EraseChat() and out.state is None
    # after the channel's "deleted", a way on (not a bare line)
    assert chat.keys == ["idle_help"] and chat.offered == ["go.report", "go.status"]


def test_keep_the_chat_after_the_receipt() -> None:
    chat = start()
    file_draft(chat)
    chat.submitted()
    out = chat.press("keep")
    assert out.state is None and chat.keys == ["kept"]
    assert chat.offered == ["go.report", "go.status"]  # a way on


def test_submit_twice_is_stale_after_the_receipt() -> None:
    chat = start()
    chat.walk_to("summary")
    submit = chat.button("submit")  # still on screen above the receipt
    chat.press("submit")
    chat.receipt_drawn()
    out = ENGINE.handle(chat.state, Press(submit.turn, submit.value))
    assert out.action is None and out.replies[0].key == "button_stale"
    chat.press("receipt.saved")
    chat.submitted()
    out = ENGINE.handle(chat.state, Press(submit.turn, submit.value))
    assert out.action is None and out.replies[0].key == "button_stale"
    assert out.state == chat.state


# --- every option of every step ------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("step_id", "option"), CHOICES)
def test_every_choice_lands_in_the_draft(lang: str, step_id: str, option: str) -> None:
    chat = start(lang)
    choices: dict[str, object] = {**REACH.get(step_id, {}), step_id: option}
    if step_id == "evidence" and option == "yes":
        choices["evidence_note"] = "Mijn klasgenoot was erbij."
    draft = file_draft(chat, choices).draft
    assert draft_value(draft, step_id) == option
    assert draft.lang == lang


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("ground", step_options("grounds"))
def test_every_ground_can_be_chosen_alone(lang: str, ground: str) -> None:
    draft = file_draft(start(lang), {"grounds": (ground,)}).draft
    assert draft.grounds == (ground,)


def test_all_grounds_together_keep_the_flow_order() -> None:
    specific = tuple(g for g in step_options("grounds") if g != "unknown")
    draft = file_draft(start(), {"grounds": tuple(reversed(specific))}).draft
    assert draft.grounds == specific


@pytest.mark.parametrize("lang", LANGS)
def test_dont_know_and_a_ground_exclude_each_other(lang: str) -> None:
    """The console never shows "origin, the student doesn't know"."""
    chat = start(lang)
    chat.walk_to("grounds")
    chat.press("origin")
    chat.press("age")
    chat.press("unknown")
    assert chat.state is not None and chat.state.selected == ("unknown",)
    chat.press("religion")
    assert chat.state.selected == ("religion",)
    chat.press("unknown")
    chat.press("next")
    assert chat.state is not None and chat.state.answers["grounds"] == ("unknown",)


def test_a_stored_mix_of_dont_know_and_a_ground_is_asked_again() -> None:
    chat = start()
    chat.walk_to("when")
    assert chat.state is not None
    mixed = chat.state.with_answer("grounds", ("origin", "unknown"))
    out = ENGINE.handle(mixed, Command("help"))
    assert out.state is not None and "grounds" not in out.state.answers


def test_the_school_buttons_are_the_operators_organizations_then_none() -> None:
    chat = start()
    chat.walk_to("school")
    assert chat.offered == [org for org, _, _ in SCHOOLS] + ["none"]
    labels = [b.label for b in chat.buttons]
    assert labels[:3] == [name for _, name, _ in SCHOOLS]


def test_the_visibility_question_explains_each_choice_and_recommends_the_first() -> None:
    chat = start("en")
    chat.walk_to("visibility")
    assert chat.offered == ["school", "school_and_workplace", "network"]
    assert "(recommended)" in chat.buttons[0].label
    assert all("recommended" not in b.label for b in chat.buttons[1:])
    assert "your school's confidential adviser" in chat.text
    assert "regional network's coordinator" in chat.text


@pytest.mark.parametrize("lang", LANGS)
def test_safety_yes_gives_help_lines_and_waits_until_the_student_goes_on(lang: str) -> None:
    """In danger, the next question waits for "I want to go on"."""
    chat = start(lang)
    chat.press("yes")
    assert chat.keys == ["safety_help"] and chat.offered == ["pause.on"]
    for number in ("112", "0900-8844", "0900-0101", "0800-0113", "0800-0142"):
        assert number in chat.text
    assert chat.state is not None and chat.state.answers["safety"] == "yes"
    chat.say("ik weet het niet")  # anything else: the question still waits
    assert chat.keys == ["use_buttons", "pause_waiting"] and chat.offered == ["pause.on"]
    chat.cmd("help")
    assert chat.keys[-1] == "pause_waiting"
    chat.press("pause.on")
    assert chat.keys == ["ask_phase"]


@pytest.mark.parametrize("lang", LANGS)
def test_help_line_numbers_are_plain_and_unbroken(lang: str) -> None:
    """Telegram shows them as typed; the web chat turns them into tel: links. No markup
    around a number and no line break inside one."""
    t = ENGINE.texts(lang)
    for key in ("safety_help", "threat_noted"):
        text = t.get(key)
        for number in re.findall(r"\d[\d -]*\d", text):
            assert "\n" not in number
        assert not re.search(r">\s*\d{3}", text), key  # no <b>112</b>


@pytest.mark.parametrize("lang", LANGS)
def test_evidence_yes_asks_for_a_note_no_does_not(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("evidence")
    chat.press("yes")
    assert chat.keys == ["ask_evidence_note"]
    draft = file_draft(chat, {"evidence_note": "Screenshot van de app"}).draft
    assert (draft.evidence, draft.evidence_note) == ("yes", "Screenshot van de app")

    chat = start(lang)
    chat.walk_to("evidence")
    chat.press("no")
    assert chat.keys == ["ask_wants"]


def test_the_evidence_note_can_be_skipped() -> None:
    chat = start()
    chat.walk_to("evidence_note", {"evidence": "yes"})
    chat.press("skip")
    assert chat.step == "wants"
    assert chat.state is not None and chat.state.answers["evidence_note"] == ""


def test_a_workplace_is_kept_as_typed_without_spaces_around() -> None:
    draft = file_draft(start(), {"workplace": "  Bakkerij De Korst \n"}).draft
    assert draft.workplace == "Bakkerij De Korst"


# --- the story ---------------------------------------------------------------------------


def test_the_story_takes_several_messages_then_done() -> None:
    chat = start()
    chat.walk_to("story")
    assert chat.keys == ["ask_story"]
    assert chat.outcome.replies[0].buttons == ()  # no Done before anything is told
    chat.say("Eerste deel.")
    grounds = step_options("grounds")
    assert chat.keys == ["story_more"] and chat.offered == [*grounds, "done"]
    first_turn = chat.state.turn if chat.state else -1
    chat.say("Tweede deel.")
    assert chat.keys == ["story_added"]
    assert chat.state is not None and chat.state.turn == first_turn  # Done stays valid
    chat.press("done")
    assert chat.step == "grounds"
    draft = file_draft(chat).draft
    assert draft.story == "Eerste deel.\n\nTweede deel."


@pytest.mark.parametrize("word", ["klaar", "Klaar", "done", "DONE "])
def test_typing_done_ends_the_story(word: str) -> None:
    chat = start()
    chat.walk_to("story")
    chat.say("Wat er gebeurde.")
    chat.say(word)
    assert chat.step == "grounds"


def test_done_without_a_story_nudges_kindly() -> None:
    chat = start()
    chat.walk_to("story")
    before = chat.state
    chat.say("klaar")
    assert chat.keys == ["story_empty"] and chat.state == before
    chat.say("   \n ")
    assert chat.keys == ["story_empty"] and chat.state == before


def test_the_story_limits_change_nothing() -> None:
    chat = start()
    chat.walk_to("story")
    before = chat.state
    chat.say("x" * 4001)
    assert chat.keys == ["text_too_long"] and "4000" in chat.text
    assert chat.state == before
    chat.say("a" * 4000)
    chat.say("b" * 4000)
    chat.say("c" * 4000)
    full = chat.state
    chat.say("d")
    assert chat.keys == ["text_too_long"] and "12000" in chat.text
    assert chat.state == full
    assert full is not None and len(full.story) == 3


def test_a_too_long_workplace_or_note_changes_nothing() -> None:
    chat = start()
    chat.walk_to("workplace")
    before = chat.state
    chat.say("B" * 201)
    assert chat.keys == ["text_too_long"] and chat.state == before
    chat.walk_to("evidence_note", {"evidence": "yes"})
    before = chat.state
    chat.say("n" * 1001)
    assert chat.keys == ["text_too_long"] and chat.state == before


def test_grounds_need_one_choice_and_show_what_is_chosen() -> None:
    chat = start("en")
    chat.walk_to("grounds")
    before = chat.state
    chat.press("next")
    assert chat.keys == ["pick_one", "ask_grounds"] and chat.state == before
    chat.press("age")
    assert "✓ Age (chosen)" in [b.label for b in chat.buttons]  # in words, not a mark alone
    chat.press("age")
    assert all("Age (" not in b.label for b in chat.buttons)
    assert chat.state is not None and chat.state.selected == ()
