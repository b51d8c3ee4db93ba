"""The promises the texts make, held against what the service does.

Who can read a report (the welcome, /privacy, the visibility choices) is computed here
from the shipped network directory and routing rules, for every answer that steers
routing, and each claim of the texts must match it; what Telegram keeps (tg_privacy)
must match the Bot API's deletion limit and the channel's constant for it; and the
answers to "will it cost me my internship?" stay where the fear arises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import pytest
import yaml

from bot.app.container import directory_from, routing_rules
from bot.app.settings import Settings
from bot.channels.telegram.respond import DELETE_WINDOW_HOURS, with_telegram_privacy
from dialogues import Reply
from dialogues.texts import LOCALES, load_texts
from escalation.casework.directory import Directory
from escalation.casework.routing import Facts, Route, route
from escalation.console.handover import allowed_organizations

BOT_API = Path(__file__).resolve().parents[3] / "standins" / "botapi" / "api.json"


def _table(lang: str) -> dict[str, str]:
    data = yaml.safe_load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


NL, EN = _table("nl"), _table("en")


@dataclass(frozen=True)
class Readers:
    """Who a report filed with some answers is sealed to (besides the recovery key)."""

    kinds: frozenset[str]  # school | workplace | sbb | network
    roles: frozenset[str]  # adviser | coordinator
    fallback: bool  # the network took it because nobody else could


def _readers(directory: Directory, chosen: Route) -> Readers:
    orgs = {a.org_id for a in chosen.advisers}
    kinds = frozenset(o.kind for o in directory.organizations if o.id in orgs)
    roles = frozenset(a.role for a in chosen.advisers)
    return Readers(kinds, roles, chosen.reason == "network_fallback")


@pytest.fixture
def shipped(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


def every_route(settings: Settings) -> dict[str, list[Readers]]:
    """Per visibility choice: the readers of a report for every school, workplace pick
    and SBB answer the student could give."""
    directory, rules = directory_from(settings), routing_rules(settings)
    schools = [o.id for o in directory.schools] + ["none"]
    workplaces = [""] + [o.id for o in directory.organizations if o.kind == "workplace"]
    found: dict[str, list[Readers]] = {}
    for visibility in settings.directory.reporting.visibility:
        for school, workplace, recognised in product(schools, workplaces, ("yes", "no")):
            facts = Facts(
                school=school,
                visibility=visibility,
                recognised=recognised,
                workplace_org=workplace,
            )
            chosen = route(directory, rules, facts)
            found.setdefault(visibility, []).append(_readers(directory, chosen))
    return found


def _all(routes: dict[str, list[Readers]]) -> list[Readers]:
    return [r for rs in routes.values() for r in rs]


# The words each language uses for a kind of reader in the welcome and /privacy.
WORDS = {
    "nl": {
        "adviser": "vertrouwenspersonen",
        "coordinator": "coördinator",
        "school": "school",
        "workplace": "bedrijf",
        "sbb": "SBB",
        "recovery": "reservesleutel",
    },
    "en": {
        "adviser": "confidential advisers",
        "coordinator": "coordinator",
        "school": "school",
        "workplace": "company",
        "sbb": "SBB",
        "recovery": "spare key",
    },
}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_privacy_names_exactly_the_kinds_of_readers_routing_seals_to(
    shipped: Settings, lang: str
) -> None:
    readers = _all(every_route(shipped))
    text, words = _table(lang)["privacy"], WORDS[lang]
    for role in ("adviser", "coordinator"):
        sealed = any(role in r.roles for r in readers)
        assert (words[role] in text) == sealed, (role, sealed)
    for kind in ("school", "workplace", "sbb"):
        sealed = any(kind in r.kinds for r in readers)
        assert (words[kind] in text) == sealed, (kind, sealed)
    assert words["recovery"] in text  # every report is sealed to the recovery key too


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_welcome_names_readers_in_the_plural_and_the_coordinator(
    shipped: Settings, lang: str
) -> None:
    """Every adviser of an organization reads its reports, so never "the one adviser"."""
    readers = _all(every_route(shipped))
    text, words = _table(lang)["welcome"], WORDS[lang]
    assert words["adviser"] in text and words["recovery"] in text
    assert (words["coordinator"] in text) == any("coordinator" in r.roles for r in readers)
    assert "alleen de vertrouwenspersoon die" not in NL["welcome"] + NL["privacy"]
    assert "only the confidential adviser you" not in EN["welcome"] + EN["privacy"]


def test_the_fallback_to_the_network_is_told_when_it_happens(shipped: Settings) -> None:
    fallback = any(r.fallback for r in _all(every_route(shipped)))
    assert fallback == ("bij niemand anders terecht" in NL["privacy"])
    assert fallback == ("cannot go to anyone else" in EN["privacy"])


def test_the_network_choice_reaches_the_network_and_says_it_may_be_passed_on(
    shipped: Settings,
) -> None:
    routes = every_route(shipped)
    assert all(r.kinds == {"network"} for r in routes["network"])
    directory = directory_from(shipped)
    onward = allowed_organizations(
        directory, visibility="network", from_org=directory.network.id, workplace_org=None
    )
    later = {o.kind for o in onward}
    nl, en = NL["explain_visibility_network"], EN["explain_visibility_network"]
    assert ("school" in later) == ("school" in nl) == ("school" in en)
    assert ("workplace" in later) == ("bedrijf" in nl) == ("company" in en)
    assert bool(later) == ("tenzij de coördinator hem doorgeeft" in nl)
    assert bool(later) == ("unless the coordinator passes it on" in en)


def test_naming_the_company_alone_sends_it_nothing(shipped: Settings) -> None:
    """ask_workplace: "the company gets no message from us". Only the choice that names
    the workplace (school_and_workplace) routes to a company's advisers."""
    for visibility, readers in every_route(shipped).items():
        reaches_company = any("workplace" in r.kinds for r in readers)
        assert reaches_company == (visibility == "school_and_workplace"), visibility
    assert "geen bericht van ons" in NL["ask_workplace"]
    assert "no message" in EN["ask_workplace"]


def _bot_api_delete_window() -> int:
    spec = json.loads(BOT_API.read_text(encoding="utf-8"))
    description = " ".join(spec["methods"]["deleteMessage"]["description"])
    found = re.search(r"deleted if it was sent less than (\d+) hours ago", description)
    assert found, description
    return int(found.group(1))


def test_the_deletion_window_is_the_bot_apis() -> None:
    assert DELETE_WINDOW_HOURS == _bot_api_delete_window() == 48


@pytest.mark.parametrize(("lang", "unit"), [("nl", "uur"), ("en", "hours")])
def test_telegram_privacy_says_what_telegram_keeps(lang: str, unit: str) -> None:
    table = _table(lang)
    for key in ("tg_privacy", "chat_erase_failed"):
        assert f"{DELETE_WINDOW_HOURS} {unit}" in table[key], key
    assert "end-to-end" in table["tg_privacy"]
    assert ("webchat" if lang == "nl" else "web chat") in table["tg_privacy"]
    assert table["btn_erase"] in table["tg_privacy"]  # the button it is about, by name
    assert "Telegram" not in table["privacy"]  # the shared text is shown on every channel


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_only_privacy_gets_the_telegram_lines_on_telegram(lang: str) -> None:
    texts = load_texts()[lang]
    shown = with_telegram_privacy(Reply("privacy", texts.get("privacy")), texts)
    assert shown.text.endswith(texts.get("tg_privacy"))
    other = Reply("help", texts.get("help"))
    assert with_telegram_privacy(other, texts) == other


@pytest.mark.parametrize(
    ("key", "nl", "en"),
    [
        ("welcome", "houdt voor zich wat je vertelt", "keeps what you tell them"),
        ("welcome", "als jij dat goed vindt", "if you agree"),
        ("welcome", "je stage of je cijfer", "your internship or your grade"),
        ("privacy", "als jij dat goed vindt", "if you agree"),
        ("ask_wants", "als jij dat goed vindt", "if you agree"),
        ("ask_wants", "stagebegeleider", "internship supervisor"),
        ("ask_workplace", "kies je straks zelf", "You choose"),
    ],
)
def test_the_fear_is_answered_where_it_arises(key: str, nl: str, en: str) -> None:
    assert nl in NL[key] and en in EN[key]
