"""Where else a student can go (network.yaml's `elsewhere:`): shown after every report
and under /help. A number nobody confirmed for a year may send a student to a dead line,
so every entry carries the day it was checked."""

from __future__ import annotations

import datetime
import re
from typing import Literal, Self

from pydantic import Field, model_validator

from bot.app.settings.errors import SectionError
from bot.app.settings.organizations import check_conditions
from bot.app.settings.section import Section

ELSEWHERE_CONDITIONS = ("level", "phase", "wants", "recognised", "safety", "school")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,19}$")
WEB = re.compile(r"^(https://)?[a-z0-9-]+(\.[a-z0-9-]+)+(/[A-Za-z0-9._~/-]*)?$")
STALE_AFTER = datetime.timedelta(days=365)


class ElsewhereRoute(Section):
    """Somewhere else a student can go, shown after a report and under /help. What it
    does is worded by the locale files (elsewhere_<kind>); who and how by this entry."""

    kind: Literal["school", "sbb", "municipal", "national", "college", "police", "campaign"]
    name: str = Field(min_length=1, max_length=60)
    phone: str | None = None
    web: str | None = None
    checked: datetime.date  # the day someone confirmed the number and the address
    when: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.phone and not self.web:
            raise SectionError("", f"{self.name} needs a phone or a web address to reach them")
        if self.phone is not None and not PHONE.fullmatch(self.phone):
            raise SectionError("phone", "digits, spaces, + and - only, e.g. 0800-0142")
        if self.web is not None and not WEB.fullmatch(self.web):
            raise SectionError("web", "a plain address such as discriminatie.nl")
        check_conditions("when", self.when, ELSEWHERE_CONDITIONS)
        if self.kind == "school" and not self.when.get("school"):
            raise SectionError("when.school", "a school's own route names its school id")
        return self


def check_schools(routes: tuple[ElsewhereRoute, ...], schools: set[str]) -> None:
    """Every `when: {school: …}` names a school of the directory."""
    for i, route in enumerate(routes):
        unknown = set(route.when.get("school", ())) - schools
        if unknown:
            raise SectionError(
                f"elsewhere.{i}.when.school",
                f"{', '.join(sorted(unknown))} is not a school in organizations",
            )


def stale_routes(routes: tuple[ElsewhereRoute, ...], today: datetime.date) -> list[str]:
    """Contacts nobody confirmed for over a year: one warning line each, for start-up."""
    return [
        f"elsewhere.{i}.checked: {r.name} was last checked on {r.checked.isoformat()}, over "
        f"a year ago; confirm its number and address, then update checked"
        for i, r in enumerate(routes)
        if today - r.checked > STALE_AFTER
    ]
