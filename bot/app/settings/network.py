"""The network's directory (network.yaml): who is in the regional network and the rules
it keeps (routing, help lines, deadlines, retention, figures, patterns). Its coordinator
edits it, at another pace than the operator edits config.yaml.

The file opens with the network's id and name, so several regional networks can later
live in one deployment, one directory file each; today config.yaml names one.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from bot.app.settings.errors import SectionError
from bot.app.settings.help_lines import ElsewhereRoute, check_schools
from bot.app.settings.organizations import (
    ORG_ID,
    OrganizationSettings,
    OrgKind,
    RoutingSettings,
)
from bot.app.settings.section import Section

MIN_CELL_FLOOR = 3


class ReportingSettings(Section):
    # What a student may choose under "who may see it" (the routing rules' visibility);
    # the first choice is offered as the recommended one.
    visibility: tuple[Literal["school", "school_and_workplace", "network"], ...] = (
        "school",
        "school_and_workplace",
        "network",
    )


class DeadlineSettings(Section):
    """Response times. The EU whistleblower directive caps them: acknowledgement within
    7 days and feedback within 3 months, whatever is configured here."""

    acknowledge_working_days: int = Field(default=2, ge=1, le=5)
    acknowledge_urgent_hours: int = Field(default=4, ge=1, le=48)
    feedback_working_days: int = Field(default=10, ge=1, le=60)
    # An answer to a student's message (their reply in the thread) is due this many
    # working days after it arrived; it escalates like the others when missed.
    reply_working_days: int = Field(default=2, ge=1, le=20)
    escalate_every_hours: int = Field(default=24, ge=1, le=24 * 14)
    check_every_seconds: int = Field(default=60, ge=1, le=3600)


class StatisticsSettings(Section):
    """The network's figures (docs/figures.md): cells below `min_cell` are hidden; the
    public page /cijfers is off unless `public` is true."""

    min_cell: int = 5
    public: bool = False

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.min_cell < MIN_CELL_FLOOR:
            raise SectionError(
                "min_cell",
                f"must be at least {MIN_CELL_FLOOR}: smaller figures could single out a "
                "student (the default is 5)",
            )
        return self


class RetentionSettings(Section):
    days: int = Field(default=365, ge=30)
    warn_days: int = Field(default=14, ge=1)


class PatternSettings(Section):
    """Company patterns: reports whose students consented, naming the same company, are
    released to the advisers and the network once `threshold` match."""

    enabled: bool = True
    # One report is one student's word: a pattern needs at least two.
    threshold: int = Field(default=2, ge=2, le=50)


class NetworkSettings(Section):
    """One regional network's directory: the whole of network.yaml."""

    id: str = Field(pattern=ORG_ID)  # e.g. den-haag; unique once a deployment has several
    name: str = Field(min_length=1, max_length=60)
    reporting: ReportingSettings = ReportingSettings()
    organizations: tuple[OrganizationSettings, ...] = ()
    routing: RoutingSettings = RoutingSettings()
    elsewhere: tuple[ElsewhereRoute, ...] = ()
    deadlines: DeadlineSettings = DeadlineSettings()
    retention: RetentionSettings = RetentionSettings()
    statistics: StatisticsSettings = StatisticsSettings()
    patterns: PatternSettings = PatternSettings()

    @property
    def network(self) -> OrganizationSettings:
        """The regional coordinator's organization (the one of kind network)."""
        return next(o for o in self.organizations if o.kind is OrgKind.NETWORK)

    def organization(self, org_id: str) -> OrganizationSettings | None:
        return next((o for o in self.organizations if o.id == org_id), None)

    @model_validator(mode="after")
    def _check(self) -> Self:
        orgs = self.organizations
        networks = [o for o in orgs if o.kind is OrgKind.NETWORK]
        if len(networks) != 1:
            raise SectionError(
                "organizations",
                f"needs exactly one organization of kind network (the regional "
                f"coordinator), found {len(networks)}",
            )
        _check_unique("organizations", [o.id for o in orgs])
        _check_unique("organizations.advisers", [a.id for o in orgs for a in o.advisers])
        self.routing.check_targets({o.id for o in orgs})
        check_schools(self.elsewhere, {o.id for o in orgs if o.kind is OrgKind.SCHOOL})
        return self


def _check_unique(key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise SectionError(key, f"id {ident} is used twice; ids must be unique")
        seen.add(ident)
