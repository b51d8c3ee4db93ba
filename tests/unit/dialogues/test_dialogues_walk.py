"""Every path through the report flow, in both languages: every option of every step,
both branches of the yes/no questions, a change to every field from the summary, and
stopping, checking a status or switching language half-way."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import replace

import pytest

from dialogues import (
    Button,
    CheckStatus,
    Command,
    Draft,
    DrawReceipt,
    EraseChat,
    Press,
    State,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    Submit,
)
from tests.support.dialogue_driver import DEFAULTS, ENGINE, SCHOOLS, STORY, Chat, file_draft, start
from vocabulary import SECTORS

LANGS = ["nl", "en"]


def _options(step_id: str) -> list[str]:
    step = ENGINE.flow.step(step_id)
    assert step is not None
    return list(ENGINE.q.options(step))


CHOICES = [
    (step.id, option)
    for step in ENGINE.flow.steps
    if step.kind == "choice"
    for option in _options(step.id)
    if option != step.explain  # it explains and asks again: it lands nowhere
]


def _draft_value(draft: Draft, step_id: str) -> object:
    if step_id == "safety":
        return "yes" if draft.danger else "threat" if draft.threat else "no"
    if step_id == "pattern_consent":
        return "yes" if draft.pattern_consent else "no"
    return getattr(draft, step_id)


# What it takes to be asked a step that is not always asked.
REACH: dict[str, dict[str, object]] = {
    "recognised": {"school": "mondriaan", "visibility": "school_and_workplace"},
    "evidence_note": {"evidence": "yes"},
    "pattern_consent": {"workplace": "Albert Heijn B.V."},
}


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
    assert _draft_value(draft, step_id) == option
    assert draft.lang == lang


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("ground", _options("grounds"))
def test_every_ground_can_be_chosen_alone(lang: str, ground: str) -> None:
    draft = file_draft(start(lang), {"grounds": (ground,)}).draft
    assert draft.grounds == (ground,)


def test_all_grounds_together_keep_the_flow_order() -> None:
    specific = tuple(g for g in _options("grounds") if g != "unknown")
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
    grounds = _options("grounds")
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


# --- changing answers from the summary ---------------------------------------------------

EDITS: dict[str, object] = {
    "phase": "during",
    "story": ("Een heel nieuw verhaal.",),
    "grounds": ("age", "gender"),
    "when": "ongoing",
    "school": "mondriaan",
    "workplace": "Garage Jansen",
    "sector": "hospitality",
    "evidence": "yes",
    "wants": "advice",
    "visibility": "network",
}


def _at_summary(lang: str = "nl", choices: dict[str, object] | None = None) -> Chat:
    chat = start(lang)
    chat.walk_to("summary", choices or {})
    return chat


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("field", list(EDITS))
def test_every_field_can_be_changed_from_the_summary(lang: str, field: str) -> None:
    chat = _at_summary(lang)
    before = dict(chat.state.answers) if chat.state else {}
    chat.press("edit")
    assert chat.keys == ["ask_edit"]
    chat.press(f"edit.{field}")
    assert chat.state is not None and chat.state.editing and chat.step == field
    new = EDITS[field]
    if field == "grounds":  # start from the current choice: take it away, then choose
        chat.press("religion")
    chat.answer_current({field: new})
    if field == "evidence":  # yes now: the note is asked, then straight back
        assert chat.step == "evidence_note"
        chat.say("Een collega zag het.")
    if field == "workplace":  # a name now: its town, KvK number and matching are asked
        assert chat.step == "workplace_town"
        chat.press("skip")
        chat.say("1234 5678")
        assert chat.step == "pattern_consent"
        chat.press("no")
    assert chat.step == "summary" and chat.keys[-1] == "summary"
    assert chat.state is not None and not chat.state.editing
    after = chat.state.answers
    if field == "story":
        assert chat.state.story == new
    elif field == "grounds":
        assert after["grounds"] == ("gender", "age")
    else:
        assert after[field] == new
    unchanged = {k: v for k, v in before.items() if k != field}
    assert {k: after[k] for k in unchanged} == unchanged
    assert isinstance(chat.press("submit").action, DrawReceipt)
    chat.receipt_drawn()
    draft = chat.press("receipt.saved").action
    assert isinstance(draft, Submit)


def test_changing_evidence_to_yes_asks_the_note_then_returns() -> None:
    chat = _at_summary()
    chat.press("edit")
    chat.press("edit.evidence")
    chat.press("yes")
    assert chat.step == "evidence_note"
    chat.say("Mijn stagebegeleider was erbij.")
    assert chat.step == "summary"
    assert "Mijn stagebegeleider was erbij." in chat.text


def test_changing_evidence_to_no_drops_the_note() -> None:
    chat = _at_summary(choices={"evidence": "yes", "evidence_note": "Appjes"})
    chat.press("edit")
    assert "edit.evidence_note" in chat.offered
    chat.press("edit.evidence")
    chat.press("no")
    assert chat.step == "summary"
    assert chat.state is not None and "evidence_note" not in chat.state.answers
    assert "Appjes" not in chat.text


MBO_WITH_WORKPLACE = {**REACH["recognised"], "recognised": "yes"}


def test_a_new_school_keeps_recognised_while_it_applies_and_drops_it_when_not() -> None:
    chat = _at_summary(choices=MBO_WITH_WORKPLACE)
    chat.press("edit")
    chat.press("edit.school")
    chat.press("mondriaan")  # the same mbo school: the answer still applies
    assert chat.step == "summary"
    assert chat.state is not None and chat.state.answers["recognised"] == "yes"
    chat.press("edit")
    chat.press("edit.school")
    chat.press("hhs")  # hbo: the question is not asked, so its answer goes
    assert chat.step == "summary"
    assert chat.state is not None and "recognised" not in chat.state.answers
    assert ENGINE.texts("nl").get("sum_recognised") not in chat.text
    chat.press("edit")
    assert "edit.recognised" not in chat.offered
    chat.press("back")
    draft = _confirm(chat)
    assert draft.draft.recognised == ""


def _confirm(chat: Chat) -> Submit:
    """From the summary: Submit, the code shown, "I have saved it"; the filing action."""
    assert isinstance(chat.press("submit").action, DrawReceipt)
    chat.receipt_drawn()
    action = chat.press("receipt.saved").action
    assert isinstance(action, Submit)
    return action


def test_a_school_that_is_mbo_again_asks_recognised_again_and_it_cannot_be_skipped() -> None:
    """Back on a question a change made necessary used to show a summary without its
    answer (a KeyError rendering it): the question is owed, so it has no back button."""
    chat = _at_summary(choices={**MBO_WITH_WORKPLACE, "school": "hhs"})
    assert chat.state is not None and "recognised" not in chat.state.answers
    chat.press("edit")
    chat.press("edit.school")
    assert "back" in chat.offered  # the school itself can still be left as it was
    chat.press("mondriaan")
    assert chat.step == "recognised" and chat.keys == ["ask_recognised"]
    assert chat.offered == ["yes", "no", "unknown"]
    chat.press("no")
    assert chat.step == "summary"
    draft = _confirm(chat)
    assert (draft.draft.school, draft.draft.recognised) == ("mondriaan", "no")


def test_back_on_a_question_still_owed_asks_it_again() -> None:
    """A state saved while that question still had its back button."""
    chat = _at_summary(choices={**MBO_WITH_WORKPLACE, "school": "hhs"})
    assert chat.state is not None
    answers = {**chat.state.answers, "school": "mondriaan"}
    chat.state = replace(chat.state, step="recognised", answers=answers, editing=True)
    chat.buttons = (Button("Terug", "back", chat.state.turn),)
    chat.press("back")
    assert chat.step == "recognised" and chat.keys == ["ask_recognised"]
    assert chat.offered == ["yes", "no", "unknown"]


def test_the_evidence_note_itself_can_be_changed() -> None:
    chat = _at_summary(choices={"evidence": "yes", "evidence_note": "Appjes"})
    chat.press("edit")
    chat.press("edit.evidence_note")
    chat.say("E-mails van de manager")
    assert chat.step == "summary"
    assert (
        chat.state is not None and chat.state.answers["evidence_note"] == "E-mails van de manager"
    )


def test_a_new_story_replaces_the_old_only_when_done() -> None:
    chat = _at_summary()
    chat.press("edit")
    chat.press("edit.story")
    assert chat.keys == ["story_rewrite"]
    chat.say("Nieuw begin.")
    assert chat.state is not None and chat.state.story == (STORY,)  # not yet replaced
    chat.press("back")  # changed my mind
    assert chat.step == "summary" and chat.state.story == (STORY,)
    chat.press("edit")
    chat.press("edit.story")
    chat.say("Nieuw begin.")
    chat.say("En meer.")
    chat.press("done")
    assert chat.state is not None and chat.state.story == ("Nieuw begin.", "En meer.")  # type: ignore[comparison-overlap]


@pytest.mark.parametrize("field", list(EDITS))
def test_back_from_a_change_keeps_everything(field: str) -> None:
    chat = _at_summary()
    before = chat.state
    chat.press("edit")
    chat.press(f"edit.{field}")
    if field == "grounds":
        chat.press("age")  # toggled, then abandoned
    chat.press("back")
    assert chat.step == "summary"
    assert chat.state is not None and before is not None
    assert chat.state.answers == before.answers and chat.state.story == before.story


def test_back_from_the_edit_menu() -> None:
    chat = _at_summary()
    chat.press("edit")
    chat.press("back")
    assert chat.keys == ["summary"]


def test_the_summary_is_protected_and_shows_every_answer() -> None:
    chat = _at_summary(
        "en", {"workplace": "Garage Jansen", "evidence": "yes", "evidence_note": "Texts"}
    )
    (summary,) = [r for r in chat.outcome.replies if r.key == "summary"]
    assert summary.protect
    for shown in (STORY, "An application or interview", "Religion or belief", "This month"):
        assert shown in summary.text
    for shown in ("De Haagse Hogeschool", "Garage Jansen", "Texts", "Talk to a confidential"):
        assert shown in summary.text
    assert chat.offered == ["submit", "edit", "stop"]


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
    chat = _at_summary()
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
    assert chat.offered == [*_options("grounds"), "done"]


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
            assert _draft_value(draft, step_id) == value


# --- the sector, and the story's end that made room for it -------------------------------


def test_the_sector_options_are_the_vocabulary_codes_and_it_may_be_skipped() -> None:
    step = ENGINE.flow.step("sector")
    assert step is not None and step.kind == "choice" and step.optional
    assert step.options == SECTORS
    chat = start()
    chat.walk_to("sector")
    assert chat.keys == ["ask_sector"]
    assert chat.offered == [*SECTORS, "skip"]
    chat.press("skip")
    assert chat.step == "evidence"
    assert chat.state is not None and chat.state.answers["sector"] == ""


@pytest.mark.parametrize("lang", LANGS)
def test_a_skipped_sector_reads_not_given_in_the_summary_and_files_empty(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("summary")
    label = ENGINE.texts(lang).get("sum_sector")
    empty = ENGINE.texts(lang).get("sum_empty")
    assert label in chat.text and empty in chat.text
    submit = file_draft(chat)
    assert submit.draft.sector == ""


def test_a_sector_skipped_can_be_given_from_the_summary_and_back_keeps_it_skipped() -> None:
    chat = _at_summary()
    chat.press("edit")
    chat.press("edit.sector")
    assert chat.offered[-2:] == ["skip", "back"]  # a question from the summary: back too
    chat.press("back")
    assert chat.step == "summary" and chat.state is not None
    assert chat.state.answers["sector"] == ""
    chat.press("edit")
    chat.press("edit.sector")
    chat.press("care")
    assert chat.step == "summary"
    assert ENGINE.texts("nl").get("opt_sector_care") in chat.text
    chat.press("edit")
    chat.press("edit.sector")
    chat.press("skip")  # and taken back out again
    assert chat.step == "summary" and chat.state is not None
    assert chat.state.answers["sector"] == ""


def test_the_first_ground_tapped_under_the_story_ends_it_and_is_chosen() -> None:
    """One tap fewer: the grounds question comes with "more, or done?", so tapping a
    ground ends the story (kept whole) and selects it; Done still works as before."""
    chat = start()
    chat.walk_to("story")
    chat.say("Eerste deel.")
    chat.say("Tweede deel.")
    assert chat.keys == ["story_added"]
    assert ENGINE.texts("nl").get("ask_grounds") in chat.text
    chat.press("origin")
    assert chat.step == "grounds" and chat.keys == ["ask_grounds"]
    assert chat.state is not None
    assert chat.state.story == ("Eerste deel.", "Tweede deel.")
    assert chat.state.selected == ("origin",)
    chat.press("next")
    assert chat.step == "when"
    assert chat.state.answers["grounds"] == ("origin",)


def test_a_rewritten_story_offers_only_done() -> None:
    """From the summary the story goes back there: nothing to merge."""
    chat = _at_summary()
    chat.press("edit")
    chat.press("edit.story")
    chat.say("Nieuw.")
    assert chat.offered == ["done", "back"]


def test_a_ground_button_from_before_the_story_ended_is_stale_afterwards() -> None:
    chat = start()
    chat.walk_to("story")
    chat.say("Wat er gebeurde.")
    old = chat.button("age")
    chat.press("done")
    before = chat.state
    out = chat.send(Press(old.turn, "age"))
    assert out.replies[0].key == "button_stale" and chat.state == before
