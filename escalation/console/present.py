"""How the student's answers, the clock and the audit log read for an adviser — in the
page and the PDF.

The stored fields are what the student typed plus coded answers ("yes", an organization
id, a language code); an adviser should read words, in the order the student told them,
and times in Dutch time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from storage.repositories.audit import AuditRecord

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


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: datetime
    who: str
    what: str
    detail: str


PERSON_DETAIL = {"handover_colleague", "recover"}  # detail: an adviser id
ORG_DETAIL = {"handover_org", "handover_org_added", "handed_back"}  # detail: an organization id
ACTORS = {"system", "student", "operator"}


def audit_lines(
    entries: Sequence[AuditRecord],
    t: Callable[..., str],
    advisers: Mapping[str, str],
    orgs: Mapping[str, str],
) -> list[AuditLine]:
    """The audit entries in the adviser's language: codes become words, ids names, in
    the order they were written (`seq`; several may carry the same time)."""
    ordered = sorted(entries, key=lambda e: e.seq)
    return [
        AuditLine(
            e.seq,
            e.at,
            t(f"actor.{e.actor}") if e.actor in ACTORS else advisers.get(e.actor, e.actor),
            t(f"action.{e.action}"),
            _detail(e.action, e.detail, t, advisers, orgs),
        )
        for e in ordered
    ]


def _detail(
    action: str,
    detail: str,
    t: Callable[..., str],
    advisers: Mapping[str, str],
    orgs: Mapping[str, str],
) -> str:
    if not detail:
        return ""
    if action in PERSON_DETAIL:
        return advisers.get(detail, detail)
    if action in ORG_DETAIL:
        return orgs.get(detail, detail)
    if action == "status":
        status, _, outcome = detail.partition(":")
        words = t(f"status.{status}")
        return f"{words}: {t(f'outcome.{outcome}')}" if outcome else words
    if action == "escalate":  # "<deadline kind> level <n>"
        kind, _, level = detail.partition(" level ")
        return f"{t(f'deadline.{kind}')}, {t('report.level', level=level)}" if level else detail
    return detail
