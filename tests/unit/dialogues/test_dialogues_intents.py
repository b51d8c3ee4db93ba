"""Free text to intent: Dutch and English phrasings, typos and accents; nonsense is nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogues.intents import NLU_FILE, IntentMatcher, load_nlu, normalise

MATCHER = IntentMatcher()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hoe staat mijn melding ervoor", "check_status"),
        ("Hoe staat mijn melding ervoor?", "check_status"),
        ("hoe staat t met m'n melding", "check_status"),
        ("wat is de status van mijn melding?", "check_status"),
        ("is er al nieuws?", "check_status"),
        ("is er nieuws", "check_status"),
        ("heeft iemand gereageerd?", "check_status"),
        ("heeft er al iemand gereageerd", "check_status"),
        ("did anyone reply?", "check_status"),
        ("ik wil mijn melding intrekken", "withdraw"),
        ("Melding intrekken!", "withdraw"),
        ("kan ik mn melding intrekken", "withdraw"),
        ("I want to withdraw my report", "withdraw"),
        ("how is my report doing", "check_status"),
        ("what's the status of my report", "check_status"),
        ("ik wil iets melden", "start_report"),
        ("ik wil een melding doen", "start_report"),
        ("I want to report discrimination", "start_report"),
        ("help", "help"),
        ("hulp!", "help"),
        ("hoe werkt dit", "help"),
        ("how does this work?", "help"),
        ("is dit anoniem?", "privacy"),
        ("wie kan mijn melding lezen", "privacy"),
        ("who can see my report", "privacy"),
        ("ik wil stoppen", "stop"),
        ("Stoppen?", "stop"),
        ("cancel", "stop"),
        ("Hoi!", "greet"),
        ("HALLO", "greet"),
        ("héllo", "greet"),
        ("good morning", "greet"),
        ("kan het in het Engels?", "change_language"),
        ("english please", "change_language"),
        ("Nederlands graag", "change_language"),
        # the ways students ask after their report, none of them an example
        ("Hoe kan ik zien wat er met mijn melding gebeurt?", "check_status"),
        ("hoe kan ik zien wat er gebeurt met mijn melding", "check_status"),
        ("Hoe staat het met m'n melding?", "check_status"),
        ("STATUS", "check_status"),
        ("status?", "check_status"),
        ("hoe ver zijn jullie met mijn melding", "check_status"),
        ("wanneer hoor ik iets van jullie?", "check_status"),
        ("hoe kan ik zien of iemand mijn melding heeft gelezen", "check_status"),
        ("waar kan ik de status zien", "check_status"),
        ("is er al iets met mijn melding gedaan?", "check_status"),
        ("How is my report doing?", "check_status"),
        ("how do I check the status of my report", "check_status"),
        ("is there an update?", "check_status"),
        ("any news?", "check_status"),
        ("what's happening with my report?", "check_status"),
        ("hoe maak ik een nieuwe melding", "start_report"),
        ("ik wil mijn melding intrekken, kan dat?", "withdraw"),
    ],
)
def test_phrasings_map_to_their_intent(text: str, intent: str) -> None:
    assert MATCHER.match(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdfgh",
        "qwertyuiop",
        "ja",
        "nee",
        "ok",
        "bedankt",
        "melding",
        "hoe laat is het",
        "de stage was leuk",
        "De manager zei dat ik met mijn hoofddoek niet bij de klanten paste.",
        "hoe staat mijn melding ervoor " * 5,  # a long text is a story, not a request
        "\u200b\u200b",
        "mijn stagebegeleider las mijn berichten",
        "ik zag hem iets op zijn telefoon lezen",
        "مرحبا كيف حالك",
    ],
)
def test_nonsense_and_stories_match_nothing(text: str) -> None:
    assert MATCHER.match(text) is None


def test_normalise_ignores_case_accents_punctuation_and_invisible_characters() -> None:
    assert normalise("  Héllo,\u200b WÖRLD!! ") == "hello world"
    assert normalise("Ärger_über-Alles") == "arger uber alles"


def test_the_nlu_file_is_rasa_3_1_with_ten_examples_per_intent() -> None:
    data = yaml.safe_load(NLU_FILE.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    examples = load_nlu(NLU_FILE)
    assert set(examples) == {
        "check_status",
        "start_report",
        "help",
        "privacy",
        "stop",
        "greet",
        "change_language",
        "withdraw",
    }
    for intent, lines in examples.items():
        assert len(lines) >= 10, intent
        assert len(set(lines)) == len(lines), intent


def test_every_example_matches_its_own_intent() -> None:
    """An example that another intent's example outscores would never fire."""
    for intent, lines in load_nlu(NLU_FILE).items():
        for line in lines:
            assert MATCHER.match(line) == intent, line


def test_a_broken_nlu_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: help\n  examples: ""\n', encoding="utf-8")
    with pytest.raises(ValueError, match="help"):
        load_nlu(path)
    path.write_text("nlu: 5\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_nlu(path)


def test_a_regex_rule_is_a_fallback_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    nlu = 'version: "3.1"\nnlu:\n- intent: help\n  examples: |\n    - help\n'
    path.write_text(nlu + "- regex: help\n  examples: |\n    - \\bsos\\b\n", encoding="utf-8")
    matcher = IntentMatcher(path)
    assert matcher.match("sos please") == "help"
    assert matcher.match("nothing") is None
    path.write_text(nlu + "- regex: help\n  examples: |\n    - ([\n", encoding="utf-8")
    with pytest.raises(ValueError, match="regex help"):
        IntentMatcher(path)
