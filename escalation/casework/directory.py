"""Who exists in the network, as plain data, so routing does not depend on the config format."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Adviser:
    id: str
    name: str
    org_id: str
    email: str | None = None
    telegram_chat_id: int | None = None
    role: str = "adviser"  # adviser | coordinator

    @property
    def channels(self) -> tuple[str, ...]:
        """Where notices reach this adviser: every contact they have."""
        found = []
        if self.telegram_chat_id is not None:
            found.append("telegram")
        if self.email:
            found.append("email")
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    kind: str  # school | workplace | sbb | network
    level: str | None = None
    advisers: tuple[Adviser, ...] = ()
    students: int | None = None  # enrolled students, for the figures' rate per 1,000
    kvk: str | None = None  # a workplace's KvK number, for matching a pick to a number

    @property
    def coordinators(self) -> tuple[Adviser, ...]:
        return tuple(a for a in self.advisers if a.role == "coordinator")


@dataclass(frozen=True, slots=True)
class Directory:
    organizations: tuple[Organization, ...]

    @property
    def network(self) -> Organization:
        return next(o for o in self.organizations if o.kind == "network")

    def organization(self, org_id: str) -> Organization | None:
        return next((o for o in self.organizations if o.id == org_id), None)

    def adviser(self, adviser_id: str) -> Adviser | None:
        return next((a for o in self.organizations for a in o.advisers if a.id == adviser_id), None)

    @property
    def network_coordinators(self) -> tuple[Adviser, ...]:
        """Who reads the students' evaluations, is told of company patterns and gets the last
        escalation step: the network organization's coordinators, or all its advisers when
        none is marked."""
        network = self.network
        return network.coordinators or network.advisers

    @property
    def sbb_advisers(self) -> tuple[Adviser, ...]:
        return tuple(a for o in self.organizations if o.kind == "sbb" for a in o.advisers)

    def sees_patterns(self, adviser_id: str) -> str | None:
        """network | sbb: whose patterns page this adviser sees; None: none."""
        if any(a.id == adviser_id for a in self.network_coordinators):
            return "network"
        if any(a.id == adviser_id for a in self.sbb_advisers):
            return "sbb"
        return None

    @property
    def schools(self) -> tuple[Organization, ...]:
        return tuple(o for o in self.organizations if o.kind == "school")
