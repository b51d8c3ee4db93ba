"""How the student's answers and the clock read for an adviser — in the page and the PDF.

The stored fields are what the student typed plus coded answers ("yes", an organization
id, a language code); an adviser should read words, in the order the student told them,
and times in Dutch time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
ORDER = (
    "story",
    "workplace",
    "workplace_town",
    "workplace_kvk",
    "workplace_org",
    "pattern_consent",
    "evidence",
    "evidence_note",
    "danger",
    "threat",
    "recognised",
    "school_choice",
    "lang",
)
CODED = {"evidence", "danger", "threat", "recognised", "pattern_consent"}  # yes | no | unknown
ORGS = {"school_choice", "workplace_org"}


def local(moment: datetime, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A stored UTC time as advisers in the Netherlands read it."""
    return moment.astimezone(DUTCH_TIME).strftime(fmt)


def present(
    fields: Mapping[str, str], t: Callable[..., str], org_names: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(field, label, value) in the order of the conversation; empty answers left out."""
    ordered = [n for n in ORDER if n in fields] + sorted(set(fields) - set(ORDER))
    out = []
    for name in ordered:
        value = _value(name, fields[name], t, org_names)
        if value:
            out.append((name, t(f"field.{name}"), value))
    return out


def _value(name: str, raw: str, t: Callable[..., str], org_names: Mapping[str, str]) -> str:
    if name in CODED and raw:
        return t(f"answer.{raw}")
    if name in ORGS:
        return org_names.get(raw, t("answer.other_school") if name == "school_choice" else "")
    if name == "lang" and raw:
        return t(f"answer.lang_{raw}")
    return raw
