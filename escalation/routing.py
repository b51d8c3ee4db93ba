"""Who receives a new report.

The student's choice comes first: a report goes only where the student allowed it. When
the chosen school is unknown or has nobody to read it, the network coordinator takes it,
so that no report is ever filed without a human who can act on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation.directory import Adviser, Directory, Organization


@dataclass(frozen=True, slots=True)
class Route:
    organization: Organization
    advisers: tuple[Adviser, ...]
    reason: str  # school | network_chosen | no_school | school_without_advisers


def route(directory: Directory, *, school: str, visibility: str) -> Route:
    if visibility == "network":
        return _to_network(directory, "network_chosen")
    org = directory.organization(school)
    if org is None or org.kind != "school":
        return _to_network(directory, "no_school")
    if not org.advisers:
        return _to_network(directory, "school_without_advisers")
    return Route(org, org.advisers, "school")


def _to_network(directory: Directory, reason: str) -> Route:
    network = directory.network
    return Route(network, network.advisers, reason)


def is_urgent(*, danger: bool) -> bool:
    """A student in danger right now is the first thing an adviser must see."""
    return danger
