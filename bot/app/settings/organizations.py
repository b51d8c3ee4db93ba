"""Who is in the network and who receives a report: the organizations, their advisers
and the routing rules of network.yaml, each with the checks that guard it."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from bot.app.settings.errors import SectionError
from bot.app.settings.section import Section

ORG_ID = r"^[a-z0-9][a-z0-9-]{0,30}$"
RULE_TARGETS = ("school", "workplace")  # besides organization ids
RULE_CONDITIONS = ("visibility", "level", "recognised", "phase", "wants", "safety")
URGENT: dict[str, tuple[str, ...]] = {"safety": ("yes", "threat")}  # in danger now, or threats


def check_conditions(
    key: str, when: dict[str, tuple[str, ...]], allowed: tuple[str, ...] = RULE_CONDITIONS
) -> None:
    """A `when:` map names only answers the dialogue asks for."""
    for name in when:
        if name not in allowed:
            raise SectionError(
                ".".join(filter(None, [key, name])),
                f"unknown condition; use one of {', '.join(allowed)}",
            )


class OrgKind(StrEnum):
    SCHOOL = "school"
    WORKPLACE = "workplace"
    SBB = "sbb"
    NETWORK = "network"


class AdviserSettings(Section):
    id: str = Field(pattern=ORG_ID)
    name: str = Field(min_length=1)
    email: str | None = None
    telegram_chat_id: int | None = None
    # A coordinator is the organization's contact when a deadline is missed.
    role: Literal["adviser", "coordinator"] = "adviser"

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.email is None and self.telegram_chat_id is None:
            raise SectionError(
                "", f"adviser {self.id} has no contact; add email or telegram_chat_id"
            )
        return self


class OrganizationSettings(Section):
    id: str = Field(pattern=ORG_ID)
    name: str = Field(min_length=1, max_length=60)
    kind: OrgKind
    level: Literal["mbo", "hbo"] | None = None
    # Enrolled students (a school): the figures' reports per 1,000 students.
    students: int | None = Field(default=None, ge=1)
    # A workplace's KvK number (8 digits): a student's pick of it then matches a report
    # that gives the number (patterns).
    kvk: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    advisers: tuple[AdviserSettings, ...] = ()
    # Other names students type for it ("thuas", "roc"); the id and name count anyway.
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.kind is OrgKind.SCHOOL and self.level is None:
            raise SectionError("level", "a school needs level: mbo or hbo")
        return self


class RoutingRule(Section):
    """`to` receives the report when every `when` key matches one of its values."""

    to: str
    when: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Self:
        check_conditions("when", self.when)
        return self


class RoutingSettings(Section):
    """The rules' targets are checked against the organizations by the directory."""

    rules: tuple[RoutingRule, ...] = (
        RoutingRule(to="school", when={"visibility": ("school", "school_and_workplace")}),
        RoutingRule(to="workplace", when={"visibility": ("school_and_workplace",)}),
    )
    urgent_when: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(URGENT))

    @model_validator(mode="after")
    def _check(self) -> Self:
        check_conditions("urgent_when", self.urgent_when)
        return self

    def check_targets(self, org_ids: set[str]) -> None:
        for i, rule in enumerate(self.rules):
            if rule.to not in RULE_TARGETS and rule.to not in org_ids:
                raise SectionError(
                    f"routing.rules.{i}.to",
                    f"{rule.to} is neither school, workplace nor an organization id in the config",
                )
