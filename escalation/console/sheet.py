"""A report as one list of labelled fields, which the page and the PDF both render.

What an adviser reads about a report — its facts (status, when, what the student wants,
who may see it, where it was filed, deadlines), the student's answers, the attachments
and the thread — is built here once. The page (report.html) and the PDF (pdf.py) only lay
it out, so the paper copy cannot leave out or word differently what the screen shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from escalation.console.present import local, present
from storage.repositories.cases import AttachmentView, CaseThreadItem, CaseView, DeadlineView

Texts = Callable[..., str]


@dataclass(frozen=True)
class Shown:
    """One labelled value. `key` names it on the page (`fact-…`, `field-…`); `mark` is
    how the page styles it (late, met, or nothing)."""

    key: str
    label: str
    value: str
    mark: str = ""


@dataclass(frozen=True)
class Section:
    key: str  # facts | content | attachments
    title: str
    fields: tuple[Shown, ...]


@dataclass(frozen=True)
class ThreadLine:
    kind: str  # adviser | student | event
    internal: bool
    when: str
    who: str
    text: str
    tampered: bool
    altered: bool = False  # opens, but without the service's proof: "possibly altered"


@dataclass(frozen=True)
class Sheet:
    sections: tuple[Section, ...]
    thread: tuple[ThreadLine, ...]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass(frozen=True)
class Names:
    """How ids read: advisers and organizations by name; `adviser_orgs` says which
    organization each adviser belongs to (for "now with")."""

    advisers: Mapping[str, str]
    orgs: Mapping[str, str]
    adviser_orgs: Mapping[str, str]

    def org(self, org_id: str | None) -> str:
        return self.orgs.get(org_id or "", org_id or "—")


def when(moment: datetime) -> str:
    return local(moment)


def build(view: CaseView, t: Texts, names: Names, now: datetime) -> Sheet:
    return Sheet(
        (
            Section("facts", t("report.facts"), tuple(_facts(view, t, names, now))),
            Section("content", t("report.content"), _answers(view, t, names)),
            Section("attachments", t("report.attachments"), _attachments(view, t)),
        ),
        tuple(_line(m, t, names) for m in view.thread),
    )


def _facts(view: CaseView, t: Texts, names: Names, now: datetime) -> list[Shown]:
    s = view.summary
    status = t(f"status.{s.status}") + (f" — {t(f'outcome.{s.outcome}')}" if s.outcome else "")
    out = [
        Shown("status", t("list.status"), status),
        Shown("received", t("report.received"), when(s.created_at)),
        Shown("filed_with", t("facts.filed_with"), names.org(view.filed_org_id or s.org_id)),
        Shown("now_with", t("facts.now_with"), _orgs_now(view, names)),
    ]
    if view.handed_from_org_id:
        out.append(Shown("handed_from", t("facts.handed_from"), names.org(view.handed_from_org_id)))
    out += [
        Shown("phase", t("list.phase"), t(f"phase.{s.phase}")),
        Shown("grounds", t("list.grounds"), ", ".join(t(f"grounds.{g}") for g in s.grounds)),
        Shown("when", t("report.when"), t(f"when.{view.when_bucket}")),
        Shown("wants", t("report.wants"), t(f"wants.{view.wants}")),
        Shown("visibility", t("report.visibility"), t(f"visibility.{view.visibility}")),
        Shown("readers", t("report.readers"), _readers(view, names)),
        Shown("acknowledged", t("report.acknowledged"), _moment(view.acknowledged_at, t)),
        Shown("first_feedback", t("report.first_feedback"), _moment(view.first_feedback_at, t)),
    ]
    if view.level:
        out.append(Shown("level", t("facts.level"), t(f"level.{view.level}")))
    if view.closed_at:
        out.append(Shown("closed_at", t("report.closed_at"), when(view.closed_at)))
    if view.withdrawn_at:
        out.append(Shown("withdrawn_at", t("facts.withdrawn_at"), when(view.withdrawn_at)))
    out += [_deadline(d, t, now) for d in s.deadlines]
    return out


def _moment(moment: datetime | None, t: Texts) -> str:
    return when(moment) if moment is not None else t("facts.not_yet")


def _orgs_now(view: CaseView, names: Names) -> str:
    ids = dict.fromkeys(names.adviser_orgs.get(r, "") for r in view.readers)
    return ", ".join(names.org(o) for o in ids if o) or "—"


def _readers(view: CaseView, names: Names) -> str:
    return ", ".join(names.advisers.get(r, r) for r in view.readers) or "—"


def _deadline(d: DeadlineView, t: Texts, now: datetime) -> Shown:
    key, label = f"deadline-{d.kind}", t(f"deadline.{d.kind}")
    if d.met_at is not None:
        return Shown(key, label, _met(d.met_at, t), "met")
    value = t("report.due", when=when(d.due_at))
    if d.overdue(now):
        return Shown(key, label, f"{value} — {t('list.overdue')}", "late")
    return Shown(key, label, value)


def _met(moment: datetime, t: Texts) -> str:
    return t("report.met", when=when(moment))


def _answers(view: CaseView, t: Texts, names: Names) -> tuple[Shown, ...]:
    return tuple(Shown(n, label, v) for n, label, v in present(view.fields, t, names.orgs))


def _attachments(view: CaseView, t: Texts) -> tuple[Shown, ...]:
    return tuple(Shown(a.id, a.name, _file_line(a, t)) for a in view.attachments)


def _file_line(a: AttachmentView, t: Texts) -> str:
    line = f"{a.media_type}, {a.size} B"
    return f"{t('report.altered')}: {t('report.altered_file')} {line}" if a.altered else line


def _line(m: CaseThreadItem, t: Texts, names: Names) -> ThreadLine:
    if m.author_kind == "student":
        who = t("report.student")
    elif m.author_kind == "event":
        who = t("report.event")
        if m.author_id:
            who += f" ({names.advisers.get(m.author_id, m.author_id)})"
    else:
        who = names.advisers.get(m.author_id or "", m.author_id or "")
        if m.internal:
            who += f" · {t('report.note')}"
    if m.tampered:
        text = t("report.tampered")
    elif m.event:
        text = t(f"event.{m.event}")
    else:
        text = m.text or ""
    if m.altered:
        who = f"{t('report.altered')}: {who}"  # never shown as the author's plain word
    at = when(m.created_at)
    return ThreadLine(m.author_kind, m.internal, at, who, text, m.tampered, m.altered)


def flat(sheet: Sheet) -> Sequence[tuple[str, str]]:
    """Every labelled value of the sheet as (label, value), in order: what a paper copy
    must carry and what the test compares with the page."""
    return [(f.label, f.value) for s in sheet.sections for f in s.fields]
