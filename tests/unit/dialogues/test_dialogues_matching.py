"""Typed answers to options: a table of what students type and what it means (that
option, "did you mean?" first, or nothing), the confirmation, and the status asked for
in free text at any point."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogues import CheckStatus, Engine, FlowContext, Press, Text
from dialogues.intents import normalise
from dialogues.matching import Option, match_option
from tests.support.dialogue_driver import ENGINE, SCHOOLS, Chat, check_outcome, start

CONFIRM = "confirm"
NOTHING = None

# (step, typed, expected): an option value, CONFIRM (a guess asked back) or NOTHING.
TABLE = [
    ("safety", "nee", "no"),
    ("safety", "Nee hoor", "no"),
    ("safety", "ik ben veilig", "no"),
    ("safety", "bedreigd", "threat"),
    ("safety", "jazeker", "yes"),
    ("safety", "gevaar", NOTHING),  # "in gevaar" and "niet in gevaar": no coin toss
    ("phase", "tijdens", "during"),
    ("phase", "sollicitatiegesprek", "interview"),
    ("phase", "sollicitatie", "interview"),
    ("phase", "stage zoeken", "looking"),
    ("phase", "iets anders", "other"),
    ("phase", "solicitatie", "interview"),  # one letter off: sure
    ("phase", "solisitatsie", CONFIRM),  # more off: asked back
    ("grounds", "afkomst", "origin"),
    ("grounds", "Afkomst!", "origin"),
    ("grounds", "huidskleur", "origin"),
    ("grounds", "hoofddoek", "religion"),
    ("grounds", "geloof", "religion"),
    ("grounds", "leeftijd", "age"),
    ("grounds", "weet ik niet", "unknown"),
    ("grounds", "geen idee", "unknown"),
    ("grounds", "skin colour", "origin"),  # the other language counts too
    ("grounds", "afkomts", CONFIRM),
    ("grounds", "leeftyd", CONFIRM),
    ("grounds", "afk", CONFIRM),  # three letters: a prefix, but not sure
    ("grounds", "handi", "disability"),  # four letters of one option: sure
    ("grounds", "mwah, weet niet zo goed eigenlijk", NOTHING),
    ("when", "vorige week", "week"),
    ("when", "gisteren", "week"),
    ("when", "een paar weken geleden", "month"),
    ("when", "vorig jaar", "earlier"),
    ("when", "nog steeds", "ongoing"),
    ("when", "deze maand", "month"),
    ("school", "mondriaan", "mondriaan"),
    ("school", "roc mondriaaan", "mondriaan"),
    ("school", "Mondriaan", "mondriaan"),
    ("school", "haagse hogeschool", "hhs"),
    ("school", "hhs", "hhs"),
    ("school", "inholand", "inholland"),
    ("school", "hogeschool", NOTHING),  # two schools are a hogeschool
    ("school", "zeg ik liever niet", "none"),
    ("evidence", "ja", "yes"),
    ("evidence", "geen bewijs", "no"),
    ("wants", "praten", "talk"),
    ("wants", "advies", "advice"),
    ("wants", "alleen melden", "register"),
    ("visibility", "netwerk", "network"),
    ("visibility", "mijn school", "school"),
    ("visibility", "allebei", "school_and_workplace"),
    ("recognised", "weet niet", "unknown"),
    ("recognised", "erkend", "yes"),
    ("safety", "asdfgh", NOTHING),
    ("when", "qwerty", NOTHING),
]
CHOICES = {"school": "mondriaan", "visibility": "school_and_workplace"}


def _at(step: str) -> Chat:
    chat = start()
    chat.walk_to(step, CHOICES)
    return chat


@pytest.mark.parametrize(("step", "typed", "expected"), TABLE)
def test_a_typed_answer_means_its_option_a_guess_or_nothing(
    step: str, typed: str, expected: str | None
) -> None:
    chat = _at(step)
    before = chat.state
    assert before is not None
    chat.say(typed)
    after = chat.state
    assert after is not None
    if expected is NOTHING:
        assert after == before
        assert chat.keys[0] == "use_buttons"
    elif expected == CONFIRM:
        assert after.menu == "confirm" and after.guess
        assert chat.keys == ["confirm_guess"]
        assert after.answers == before.answers and after.selected == before.selected
    elif step == "grounds":
        assert after.selected == (expected,) and after.step == "grounds"
    else:
        assert after.answers[step] == expected


def test_did_you_mean_yes_takes_the_guess() -> None:
    chat = _at("grounds")
    chat.say("afkomts")
    assert "Afkomst of huidskleur" in chat.text
    assert chat.offered == ["guess.yes", "guess.no"]
    chat.press("guess.yes")
    assert chat.state is not None and chat.state.selected == ("origin",)
    assert chat.state.menu == "" and chat.state.guess == ""


@pytest.mark.parametrize("typed", ["ja", "Klopt", "yes"])
def test_did_you_mean_answered_by_typing_yes(typed: str) -> None:
    chat = _at("when")
    chat.say("vorgie week")
    assert chat.state is not None and chat.state.guess == "week"
    chat.say(typed)
    assert chat.step == "school" and chat.state is not None
    assert chat.state.answers["when"] == "week"


def test_did_you_mean_no_asks_the_question_again_and_keeps_nothing() -> None:
    chat = _at("when")
    before = chat.state
    chat.say("vorgie week")
    chat.press("guess.no")
    assert chat.keys == ["guess_declined", "ask_when"]
    assert chat.state is not None and before is not None
    assert chat.state.answers == before.answers and chat.state.menu == ""
    assert chat.state.guess == ""


def test_another_answer_while_asked_did_you_mean_is_taken_as_the_answer() -> None:
    chat = _at("when")
    chat.say("vorgie week")
    chat.say("deze maand")
    assert chat.state is not None and chat.state.answers["when"] == "month"


def test_a_stale_or_forged_press_at_did_you_mean_changes_nothing() -> None:
    chat = _at("when")
    old = chat.button("week")
    chat.say("vorgie week")
    confirming = chat.state
    assert confirming is not None
    for press in (
        Press(old.turn, "week"),  # the question's button from before the guess
        Press(confirming.turn, "month"),  # forged: not on offer now
        Press(confirming.turn - 1, "guess.yes"),  # stale turn
        Press(confirming.turn, "guess.maybe"),
    ):
        out = ENGINE.handle(confirming, press)
        check_outcome(out)
        assert out.state == confirming
        assert out.replies[0].key == "button_stale"


def test_a_guess_survives_json_and_a_restart() -> None:
    chat = _at("when")
    chat.say("vorgie week")
    assert chat.state is not None
    restored = type(chat.state).from_json(chat.state.to_json())
    assert restored == chat.state
    out = ENGINE.handle(restored, Text("ja"))
    assert out.state is not None and out.state.answers["when"] == "week"


def test_several_grounds_in_one_message_toggle_each() -> None:
    chat = _at("grounds")
    chat.say("afkomst en geloof")
    assert chat.state is not None and chat.state.selected == ("origin", "religion")
    chat.say("geloof")  # a typed ground is a toggle, like its button
    assert chat.state is not None and chat.state.selected == ("origin",)  # type: ignore[comparison-overlap]
    chat.say("klaar")
    assert chat.step == "when" and chat.state is not None
    assert chat.state.answers["grounds"] == ("origin",)


@pytest.mark.parametrize(
    "typed",
    [
        "hoe kan ik zien wat er met mijn melding gebeurt",
        "hoe staat het met mijn melding",
        "status",
        "how is my report doing",
    ],
)
def test_right_after_filing_asking_for_the_status_opens_the_status_not_a_welcome(
    typed: str,
) -> None:
    chat = start()
    chat.walk_to("summary")
    chat.press("submit")
    chat.receipt_drawn()
    chat.press("receipt.saved")
    chat.submitted()
    assert chat.state is None
    chat.say(typed)
    assert chat.keys == ["ask_code"]
    assert chat.state is not None and chat.state.expecting == "code"
    out = chat.say("4821 0937 5521 8804")
    assert out.action == CheckStatus("4821093755218804")


@pytest.mark.parametrize("step", ["safety", "phase", "grounds", "when", "school", "wants"])
def test_asking_for_the_status_at_a_question_opens_the_status(step: str) -> None:
    chat = _at(step)
    chat.say("hoe staat het met mijn melding?")
    assert chat.keys == ["ask_code"]


# --- the matcher on its own ---------------------------------------------------------

_label = st.text(
    alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=30
).filter(lambda s: normalise(s) != "")


@given(st.lists(_label, min_size=1, max_size=8, unique_by=normalise), st.data())
def test_a_typed_exact_label_matches_its_own_option_and_never_another(
    labels: list[str], data: st.DataObject
) -> None:
    options = [Option(f"v{i}", label) for i, label in enumerate(labels)]
    i = data.draw(st.integers(0, len(options) - 1))
    found = match_option(labels[i], options)
    assert found is not None and found.value == f"v{i}" and found.sure


def test_two_options_equally_close_is_no_match() -> None:
    options = [Option("a", "rode appel"), Option("b", "groene appel")]
    assert match_option("appel", options) is None
    assert match_option("rode", options) == match_option("rode appel", options)


def test_a_school_is_known_by_its_aliases_from_the_config() -> None:
    engine = Engine(FlowContext(schools=SCHOOLS, aliases=(("hhs", ("thuas",)),)), strict=True)
    chat = Chat(engine)
    chat.cmd("start")
    chat.walk_to("school")
    chat.say("THUAS")
    assert chat.state is not None and chat.state.answers["school"] == "hhs"


@pytest.mark.parametrize(("typed", "lang"), [("engels", "en"), ("English", "en"), ("dutch", "nl")])
def test_the_language_picker_takes_the_languages_name_typed(typed: str, lang: str) -> None:
    chat = _at("when")
    chat.cmd("language")
    chat.say(typed)
    assert chat.state is not None and chat.state.lang == lang and chat.state.menu == ""


def test_continue_or_start_over_takes_a_typed_answer() -> None:
    chat = _at("when")
    chat.cmd("start")
    assert chat.keys == ["resume_or_restart"]
    chat.say("doorgaan")
    assert chat.step == "when" and chat.keys == ["ask_when"]
