"""Who receives a new report: the operator's rules, applied to the student's answers.

The rules are data (config `routing.rules`): each names a target — the student's school,
the workplace the student picked (when it is an organization in the config) or an
organization id — and the answers it applies to. The student's choice of who may see it
is one of those answers, so a report only goes where the student allowed. An adviser
named in the report never receives it (conflict of interest). When no one is left, the
network coordinator takes it, so no report is ever filed without a human who can act.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from escalation.casework.directory import Adviser, Directory, Organization

SCHOOL, WORKPLACE = "school", "workplace"


@dataclass(frozen=True, slots=True)
class Rule:
    to: str  # school | workplace | an organization id
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rules:
    rules: tuple[Rule, ...]
    urgent_when: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Facts:
    """The coded answers rules may look at, and the free text (only to spot names)."""

    school: str
    visibility: str
    phase: str = ""
    wants: str = ""
    safety: str = "no"  # yes | threat | no
    recognised: str = ""
    workplace_org: str = ""
    text: str = ""  # story, workplace, notes: read here, never stored in the clear

    def value(self, name: str, directory: Directory) -> str:
        if name == "level":
            org = directory.organization(self.school)
            return (org.level or "") if org is not None and org.kind == SCHOOL else ""
        return str(getattr(self, name))


@dataclass(frozen=True, slots=True)
class Route:
    organization: Organization  # the report's home: its advisers answer for it
    organizations: tuple[Organization, ...]
    advisers: tuple[Adviser, ...]
    reason: str  # rules | network_fallback
    urgent: bool


def route(directory: Directory, rules: Rules, facts: Facts) -> Route:
    named = _named_advisers(directory, facts.text)
    orgs = [o for o in _targets(directory, rules, facts) if _readers(o, named)]
    urgent = bool(rules.urgent_when) and _matches(rules.urgent_when, facts, directory)
    if not orgs:
        network = directory.network
        return Route(network, (network,), _readers(network, named), "network_fallback", urgent)
    advisers = tuple(a for o in orgs for a in _readers(o, named))
    return Route(orgs[0], tuple(orgs), advisers, "rules", urgent)


def _targets(directory: Directory, rules: Rules, facts: Facts) -> list[Organization]:
    found: dict[str, Organization] = {}
    for rule in rules.rules:
        if not _matches(rule.when, facts, directory):
            continue
        org = _target(directory, rule.to, facts)
        if org is not None:
            found.setdefault(org.id, org)
    return list(found.values())


def _target(directory: Directory, to: str, facts: Facts) -> Organization | None:
    if to == SCHOOL:
        org = directory.organization(facts.school)
        return org if org is not None and org.kind == SCHOOL else None
    if to == WORKPLACE:
        org = directory.organization(facts.workplace_org)
        return org if org is not None and org.kind == WORKPLACE else None
    return directory.organization(to)


def _matches(when: Mapping[str, frozenset[str]], facts: Facts, directory: Directory) -> bool:
    """Every condition holds; a rule without conditions always applies."""
    return all(facts.value(k, directory) in allowed for k, allowed in when.items())


def _readers(org: Organization, named: frozenset[str]) -> tuple[Adviser, ...]:
    return tuple(a for a in org.advisers if a.id not in named)


def _named_advisers(directory: Directory, text: str) -> frozenset[str]:
    """Advisers whose full name appears in what the student wrote (whole words, any case
    or accents). A surname alone is too common to count: it would send reports astray."""
    haystack = f" {_fold(text)} "
    return frozenset(
        a.id
        for o in directory.organizations
        for a in o.advisers
        if len(_fold(a.name)) >= 5 and f" {_fold(a.name)} " in haystack
    )


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", letters))
