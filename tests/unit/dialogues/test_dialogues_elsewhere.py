"""Where else a student can go: after every filed report and under /help, chosen by the
answers, with the contacts the operator configured."""

from __future__ import annotations

import pytest

from dialogues import Engine, FlowContext, HelpRoute
from tests.support.dialogue_driver import SCHOOLS, WORKPLACES, Chat

ROUTES = (
    HelpRoute(
        "school", "Klachten Mondriaan", web="rocmondriaan.nl", when=(("school", ("mondriaan",)),)
    ),
    HelpRoute(
        "sbb", "SBB", web="s-bb.nl", when=(("level", ("mbo",)), ("recognised", ("yes", "unknown")))
    ),
    HelpRoute("municipal", "Den Haag Meldt", phone="070 752 82 00", web="denhaagmeldt.nl"),
    HelpRoute(
        "college", "College", web="mensenrechten.nl", when=(("wants", ("action", "advice")),)
    ),
    HelpRoute("police", "Politie", phone="0900-8844"),
    HelpRoute("campaign", "KIESMIJ", web="kiesmij.nl", when=(("level", ("mbo",)),)),
)
ENGINE = Engine(
    FlowContext(
        schools=SCHOOLS, workplaces=WORKPLACES, network="Gemeente Den Haag", elsewhere=ROUTES
    ),
    strict=True,
)


def _filed(choices: dict[str, object], lang: str = "nl") -> str:
    chat = Chat(ENGINE, lang_hint=lang)
    chat.cmd("start")
    chat.walk_to("summary", choices)
    chat.press("submit")
    chat.receipt_drawn()
    chat.press("receipt.saved")
    out = chat.submitted()
    assert [r.key for r in out.replies] == ["elsewhere", "filed"]  # its buttons last
    assert out.state is None
    return out.replies[0].text


def test_an_mbo_student_who_wants_to_talk_hears_of_their_school_sbb_and_kiesmij() -> None:
    text = _filed({"school": "mondriaan", "wants": "talk"})
    for name in ("Klachten Mondriaan", "SBB", "Den Haag Meldt", "Politie", "KIESMIJ"):
        assert name in text
    assert "College" not in text
    assert "Je school</b>" not in text  # their own school's route instead of the general line
    assert "070 752 82 00" in text and "denhaagmeldt.nl" in text


def test_an_hbo_student_who_wants_action_hears_of_the_college_not_of_sbb() -> None:
    text = _filed({"school": "hhs", "wants": "action"})
    assert "College" in text and "SBB" not in text and "KIESMIJ" not in text
    assert "Klachten Mondriaan" not in text and "Je school</b>" in text


def test_help_lists_every_place_but_a_schools_own_and_says_so_in_english() -> None:
    chat = Chat(ENGINE, lang_hint="en")
    chat.cmd("help")
    assert chat.keys == ["help", "elsewhere"]
    text = chat.outcome.replies[1].text
    assert "What else can you do?" in text and "Your school</b>" in text
    for name in ("SBB", "Den Haag Meldt", "College", "Politie", "KIESMIJ"):
        assert name in text
    assert "Klachten Mondriaan" not in text
    assert chat.state is None  # /help starts nothing


def test_only_the_network_names_the_network() -> None:
    chat = Chat(ENGINE)
    chat.cmd("start")
    chat.walk_to("visibility")
    labels = [b.label for b in chat.buttons]
    assert "Alleen Gemeente Den Haag" in labels


@pytest.mark.parametrize(
    ("route", "words"),
    [
        (HelpRoute("lawyer", "X", web="x.nl"), "kind"),
        (HelpRoute("police", "X"), "phone or a web"),
    ],
)
def test_a_route_the_engine_cannot_word_stops_start_up(route: HelpRoute, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Engine(FlowContext(schools=SCHOOLS, elsewhere=(route,)))


def test_the_shipped_config_reaches_the_engine_and_every_place_is_worded() -> None:
    from pathlib import Path

    from bot.app.container import help_routes
    from bot.app.settings import load_settings

    settings = load_settings(Path(__file__).resolve().parents[3] / "config.yaml")
    routes = help_routes(settings)
    engine = Engine(FlowContext(schools=SCHOOLS, elsewhere=routes), strict=True)
    chat = Chat(engine, lang_hint="en")
    chat.cmd("help")
    text = chat.outcome.replies[1].text
    assert "Den Haag Meldt" in text and "0800-0142" in text and "kiesmij.nl" in text
    assert "Hogeschool Inholland" not in text  # a school's own route waits for its school
