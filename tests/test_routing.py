"""Routing: the student's choice decides, and no report is left without a reader."""

from __future__ import annotations

from escalation.directory import Adviser, Directory, Organization
from escalation.routing import route

VP = Adviser("hhs-vp", "VP", "hhs", email="vp@hhs.example.nl")
COORD = Adviser("coord", "Coördinator", "net", email="c@example.nl")
DIRECTORY = Directory(
    (
        Organization("hhs", "De Haagse Hogeschool", "school", "hbo", (VP,)),
        Organization("empty", "School zonder adviseur", "school", "mbo", ()),
        Organization("sbb", "SBB", "sbb", "mbo", ()),
        Organization("net", "Gemeente", "network", None, (COORD,)),
    )
)


def test_school_with_advisers_gets_it() -> None:
    r = route(DIRECTORY, school="hhs", visibility="school")
    assert (r.organization.id, r.advisers, r.reason) == ("hhs", (VP,), "school")


def test_school_and_workplace_still_reaches_the_school() -> None:
    assert route(DIRECTORY, school="hhs", visibility="school_and_workplace").advisers == (VP,)


def test_network_only_when_the_student_says_so() -> None:
    r = route(DIRECTORY, school="hhs", visibility="network")
    assert (r.organization.id, r.advisers, r.reason) == ("net", (COORD,), "network_chosen")


def test_unknown_or_unnamed_school_goes_to_the_network() -> None:
    assert route(DIRECTORY, school="none", visibility="school").reason == "no_school"
    assert route(DIRECTORY, school="sbb", visibility="school").reason == "no_school"
    r = route(DIRECTORY, school="empty", visibility="school")
    assert (r.organization.id, r.reason) == ("net", "school_without_advisers")
