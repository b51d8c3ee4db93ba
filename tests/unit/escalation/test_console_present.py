"""The student's answers read as words in the order they were told, and times in Dutch
time, in the console page and the PDF alike."""

from __future__ import annotations

from datetime import UTC, datetime

from escalation.console.present import local, present
from escalation.console.texts import ConsoleTexts

FIELDS = {
    "lang": "en",
    "school_choice": "none",
    "danger": "no",
    "threat": "yes",
    "recognised": "unknown",
    "workplace": "Bakkerij De Korenschoof",
    "workplace_org": "",
    "evidence": "yes",
    "evidence_note": "Twee collega's",
    "story": "Het begon op maandag.",
}


def test_answers_in_conversation_order_as_words() -> None:
    shown = present(FIELDS, ConsoleTexts("nl"), {"hhs": "De Haagse Hogeschool"})
    assert [(name, value) for name, _, value in shown] == [
        ("story", "Het begon op maandag."),
        ("workplace", "Bakkerij De Korenschoof"),
        ("evidence", "Ja"),
        ("evidence_note", "Twee collega's"),
        ("danger", "Nee"),
        ("threat", "Ja"),
        ("recognised", "Weet niet"),
        ("school_choice", "Andere school / zegt liever niet"),
        ("lang", "Engels"),
    ]
    assert all(label and label != name for name, label, _ in shown)  # every field has a label


def test_known_organizations_by_name_in_either_language() -> None:
    fields = {"school_choice": "hhs", "workplace_org": "gw"}
    names = {"hhs": "De Haagse Hogeschool", "gw": "Gemeente (werkgever)"}
    assert [v for *_, v in present(fields, ConsoleTexts("en"), names)] == [
        "Gemeente (werkgever)",
        "De Haagse Hogeschool",
    ]


def test_times_are_dutch_time_in_winter_and_summer() -> None:
    assert local(datetime(2026, 11, 23, 1, 7, tzinfo=UTC)) == "23-11-2026 02:07"
    assert local(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == "02-07-2026 00:30"
