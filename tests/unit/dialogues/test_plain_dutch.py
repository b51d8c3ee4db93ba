"""Plain Dutch: every Dutch text a student reads is scored with the Flesch-Douma reading
ease, the Dutch version of Flesch's formula (Douma 1960: 206.84 - 0.93 x words per
sentence - 77 x syllables per word), as textstat computes it with pyphen's Dutch
syllables. Higher is easier; 60 and up is "fairly easy", about the B1 level most
students read comfortably. A text that scores lower fails the test, which prints the
worst texts so they can be rewritten: short sentences, common words.

The formula knows nothing of meaning, so the test helps, it does not judge: a short
sentence of common words still needs a person to read it. Fragments under six words
(button labels, list items) are not scored: the formula means nothing there.
"""

from __future__ import annotations

import re

import pytest
import textstat
import yaml

from dialogues.texts import LOCALES

MIN_EASE = 60.0
MIN_WORDS = 6
# Not for students: notices to advisers, and the typed-answer word lists.
NOT_STUDENT_TEXT = ("notify_", "syn_", "words_")  # word lists, not sentences
# The service's own words, explained where they first appear (the welcome, the
# question that asks for them). The formula counts their syllables as if they were
# rare words; they are scored as one ordinary word instead.
OWN_WORDS = (
    "stagediscriminatie",
    "vertrouwenspersoon",
    "vertrouwenspersonen",
    "meldcode",
    "stagebedrijf",
    "leerbedrijf",
    "antidiscriminatiebureau",
    "mbo-studenten",
    "mbo-stage",
)


def plain(text: str) -> str:
    """What a reader reads: no tags, a placeholder as a word, each line a sentence."""
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\{[a-z_]+\}", "iets", text)
    text = re.sub(r"/([a-z]+)", r"\1", text)
    text = text.replace("&amp;", "en").replace("•", "")
    for word in OWN_WORDS:
        text = re.sub(word, "stage", text, flags=re.IGNORECASE)
    return re.sub(r"([^.!?:\s])\s*\n", r"\1.\n", text)


def ease(text: str) -> float:
    textstat.set_lang("nl")
    return float(textstat.flesch_reading_ease(plain(text)))


def student_texts() -> dict[str, str]:
    data = yaml.safe_load((LOCALES / "nl.yaml").read_text(encoding="utf-8"))
    return {
        k: v
        for k, v in data.items()
        if not k.startswith(NOT_STUDENT_TEXT) and textstat.lexicon_count(plain(v)) >= MIN_WORDS
    }


def test_every_dutch_student_text_is_plain_dutch() -> None:
    scores = sorted((ease(v), k) for k, v in student_texts().items())
    hard = [(s, k) for s, k in scores if s < MIN_EASE]
    worst = "\n".join(f"  {s:5.1f}  {k}" for s, k in scores[:10])
    assert not hard, f"below {MIN_EASE} (Flesch-Douma): {hard}\nthe ten hardest:\n{worst}"


def test_the_texts_together_read_easily() -> None:
    together = "\n".join(student_texts().values())
    assert ease(together) >= 70.0


@pytest.mark.parametrize(
    ("text", "easier_than"),
    [
        (
            "Je melding is ontvangen.",
            "Uw rapportage is geregistreerd en wordt geëvalueerd door de functionaris.",
        ),
        (
            "Ik heb het. Dank je.",
            "Dankzij uw uitgebreide toelichting kunnen wij de situatie beoordelen.",
        ),
    ],
)
def test_the_measure_tells_plain_from_stiff(text: str, easier_than: str) -> None:
    assert ease(text) > ease(easier_than) + 20


def test_placeholders_tags_and_lines_are_read_as_a_reader_reads_them() -> None:
    assert plain("<b>Hoi</b> {name}\n• een\n• twee") == "Hoi iets.\n een.\n twee"
