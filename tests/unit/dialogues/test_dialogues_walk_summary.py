"""Every path through the report flow, continued: a change to every field from the
summary, in both languages, and the sector with the story's end that made room for it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialogues import (
    Button,
    DrawReceipt,
    Press,
    Submit,
)
from tests.support.dialogue_driver import ENGINE, STORY, Chat, file_draft, start
from tests.support.walk_helpers import LANGS, REACH, at_summary
from vocabulary import SECTORS

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


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("field", list(EDITS))
def test_every_field_can_be_changed_from_the_summary(lang: str, field: str) -> None:
    chat = at_summary(lang)
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
    chat = at_summary()
    chat.press("edit")
    chat.press("edit.evidence")
    chat.press("yes")
    assert chat.step == "evidence_note"
    chat.say("Mijn stagebegeleider was erbij.")
    assert chat.step == "summary"
    assert "Mijn stagebegeleider was erbij." in chat.text


def test_changing_evidence_to_no_drops_the_note() -> None:
    chat = at_summary(choices={"evidence": "yes", "evidence_note": "Appjes"})
    chat.press("edit")
    assert "edit.evidence_note" in chat.offered
    chat.press("edit.evidence")
    chat.press("no")
    assert chat.step == "summary"
    assert chat.state is not None and "evidence_note" not in chat.state.answers
    assert "Appjes" not in chat.text


MBO_WITH_WORKPLACE = {**REACH["recognised"], "recognised": "yes"}


def test_a_new_school_keeps_recognised_while_it_applies_and_drops_it_when_not() -> None:
    chat = at_summary(choices=MBO_WITH_WORKPLACE)
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
    chat = at_summary(choices={**MBO_WITH_WORKPLACE, "school": "hhs"})
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
    chat = at_summary(choices={**MBO_WITH_WORKPLACE, "school": "hhs"})
    assert chat.state is not None
    answers = {**chat.state.answers, "school": "mondriaan"}
    chat.state = replace(chat.state, step="recognised", answers=answers, editing=True)
    chat.buttons = (Button("Terug", "back", chat.state.turn),)
    chat.press("back")
    assert chat.step == "recognised" and chat.keys == ["ask_recognised"]
    assert chat.offered == ["yes", "no", "unknown"]


def test_the_evidence_note_itself_can_be_changed() -> None:
    chat = at_summary(choices={"evidence": "yes", "evidence_note": "Appjes"})
    chat.press("edit")
    chat.press("edit.evidence_note")
    chat.say("E-mails van de manager")
    assert chat.step == "summary"
    assert (
        chat.state is not None and chat.state.answers["evidence_note"] == "E-mails van de manager"
    )


def test_a_new_story_replaces_the_old_only_when_done() -> None:
    chat = at_summary()
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
    chat = at_summary()
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
    chat = at_summary()
    chat.press("edit")
    chat.press("back")
    assert chat.keys == ["summary"]


def test_the_summary_is_protected_and_shows_every_answer() -> None:
    chat = at_summary(
        "en", {"workplace": "Garage Jansen", "evidence": "yes", "evidence_note": "Texts"}
    )
    (summary,) = [r for r in chat.outcome.replies if r.key == "summary"]
    assert summary.protect
    for shown in (STORY, "An application or interview", "Religion or belief", "This month"):
        assert shown in summary.text
    for shown in ("De Haagse Hogeschool", "Garage Jansen", "Texts", "Talk to a confidential"):
        assert shown in summary.text
    assert chat.offered == ["submit", "edit", "stop"]


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
    chat = at_summary()
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
    chat = at_summary()
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
