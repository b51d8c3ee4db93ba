"""Routing: the operator's rules and the student's choice decide; a named adviser never
receives the report; and no report is left without a reader."""

from __future__ import annotations

from pathlib import Path

from bot.app.container import directory_from, routing_rules
from bot.app.settings import load_settings
from escalation.casework.directory import Adviser, Directory, Organization
from escalation.casework.routing import Facts, Rule, Rules, route

ROOT = Path(__file__).resolve().parents[3]
VP = Adviser("hhs-vp", "Fatima el Amrani", "hhs", email="vp@hhs.example.nl")
VP2 = Adviser("hhs-vp2", "Jan de Vries", "hhs", email="jan@hhs.example.nl")
MBO_VP = Adviser("roc-vp", "Ilse Bakker", "roc", email="i@roc.example.nl")
WORK_VP = Adviser("work-vp", "Sam Peters", "work", email="s@work.example.nl")
SBB_VP = Adviser("sbb-vp", "Noor Jansen", "sbb", email="n@sbb.example.nl")
COORD = Adviser("coord", "Coördinator Gemeente", "net", email="c@example.nl", role="coordinator")
DIRECTORY = Directory(
    (
        Organization("hhs", "De Haagse Hogeschool", "school", "hbo", (VP, VP2)),
        Organization("roc", "ROC", "school", "mbo", (MBO_VP,)),
        Organization("empty", "School zonder adviseur", "school", "mbo", ()),
        Organization("work", "Werkgever", "workplace", None, (WORK_VP,)),
        Organization("sbb", "SBB", "sbb", "mbo", (SBB_VP,)),
        Organization("net", "Gemeente", "network", None, (COORD,)),
    )
)
BOTH = frozenset({"school_and_workplace"})
RULES = Rules(
    rules=(
        Rule("school", {"visibility": frozenset({"school", "school_and_workplace"})}),
        Rule("workplace", {"visibility": BOTH}),
        Rule(
            "sbb",
            {"visibility": BOTH, "level": frozenset({"mbo"}), "recognised": frozenset({"yes"})},
        ),
        Rule("net", {"visibility": frozenset({"network"})}),
    ),
    urgent_when={"safety": frozenset({"yes", "threat"})},
)


def ids(r: object) -> list[str]:
    return [a.id for a in r.advisers]  # type: ignore[attr-defined]


def test_the_school_gets_it_when_the_student_allows_only_the_school() -> None:
    r = route(DIRECTORY, RULES, Facts(school="hhs", visibility="school", workplace_org="work"))
    assert (r.organization.id, ids(r), r.reason) == ("hhs", ["hhs-vp", "hhs-vp2"], "rules")


def test_with_consent_the_known_workplace_and_sbb_for_a_recognised_mbo_company() -> None:
    facts = Facts(school="roc", visibility="school_and_workplace", workplace_org="work")
    assert ids(route(DIRECTORY, RULES, facts)) == ["roc-vp", "work-vp"]
    recognised = Facts(
        school="roc", visibility="school_and_workplace", workplace_org="work", recognised="yes"
    )
    assert ids(route(DIRECTORY, RULES, recognised)) == ["roc-vp", "work-vp", "sbb-vp"]
    hbo = Facts(school="hhs", visibility="school_and_workplace", recognised="yes")
    assert ids(route(DIRECTORY, RULES, hbo)) == ["hhs-vp", "hhs-vp2"]  # SBB is for mbo


def test_an_organization_that_is_not_a_workplace_is_never_the_workplace() -> None:
    facts = Facts(school="hhs", visibility="school_and_workplace", workplace_org="sbb")
    assert ids(route(DIRECTORY, RULES, facts)) == ["hhs-vp", "hhs-vp2"]


def test_network_only_when_the_student_says_so() -> None:
    r = route(DIRECTORY, RULES, Facts(school="hhs", visibility="network"))
    assert (r.organization.id, ids(r), r.reason) == ("net", ["coord"], "rules")


def test_no_reader_left_means_the_network_coordinator() -> None:
    for school in ("none", "sbb", "empty"):
        r = route(DIRECTORY, RULES, Facts(school=school, visibility="school"))
        assert (r.organization.id, ids(r), r.reason) == ("net", ["coord"], "network_fallback")


def test_a_named_adviser_never_receives_the_report() -> None:
    text = "Ik heb het gemeld bij FATIMA EL-AMRANI, maar zij deed niets."
    r = route(DIRECTORY, RULES, Facts(school="hhs", visibility="school", text=text))
    assert ids(r) == ["hhs-vp2"]
    both = "Fatima El Amrani en Jan de Vries wisten ervan"
    r = route(DIRECTORY, RULES, Facts(school="hhs", visibility="school", text=both))
    assert (r.organization.id, ids(r)) == ("net", ["coord"])  # nobody left at the school


def test_a_surname_or_a_longer_word_is_not_a_name() -> None:
    for text in ("meneer de Vries was er ook", "Fatima el Amranistraat 4"):
        r = route(DIRECTORY, RULES, Facts(school="hhs", visibility="school", text=text))
        assert ids(r) == ["hhs-vp", "hhs-vp2"], text


def test_urgency_follows_the_rules() -> None:
    for safety, urgent in (("yes", True), ("threat", True), ("no", False)):
        facts = Facts(school="hhs", visibility="school", safety=safety)
        assert route(DIRECTORY, RULES, facts).urgent is urgent


def test_the_shipped_den_haag_rules() -> None:
    settings = load_settings(ROOT / "config.yaml")
    directory, rules = directory_from(settings), routing_rules(settings)
    mbo = Facts(
        school="mondriaan",
        visibility="school_and_workplace",
        workplace_org="gemeente-werkgever",
        recognised="yes",
    )
    assert ids(route(directory, rules, mbo)) == [
        "mondriaan-vp",
        "gemeente-werkgever-vp",
        "sbb-adviseur",
    ]
    assert ids(route(directory, rules, Facts(school="inholland", visibility="network"))) == [
        "denhaag-coordinator"
    ]
