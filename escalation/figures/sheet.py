"""The figures as labelled lines: the one shape the console page, the spreadsheet, the
PDF and the public page all render, so they agree cell by cell by construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from escalation.figures.rows import year_label
from escalation.figures.suppress import Cell, Table, label
from escalation.figures.tables import (
    CBS_PER_1000,
    DEADLINE_KINDS,
    NONE,
    Figures,
    PeriodFigures,
)

Texts = Callable[..., str]
# Dimensions whose codes the console already has labels for.
SAME_KEYS = {"phase": "phase", "grounds": "grounds", "wants": "wants", "visibility": "visibility"}


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    current: str  # as shown: a number, "< 5" or "×"
    previous: str
    current_n: int | None  # the number, when shown
    previous_n: int | None


@dataclass(frozen=True)
class Section:
    dimension: str
    title: str
    lines: tuple[Line, ...]
    total: Line
    several: bool = False  # a report may count in several lines (grounds)


def period_label(p: PeriodFigures) -> str:
    first, last = p.years[0], p.years[-1]
    return year_label(first) if first == last else f"{year_label(first)} – {year_label(last)}"


def category(t: Texts, dimension: str, key: str, org_names: dict[str, str]) -> str:
    if key == NONE:
        return t("figures.cat.none")
    if dimension in SAME_KEYS:
        return t(f"{SAME_KEYS[dimension]}.{key}")
    if dimension == "organization":
        return org_names.get(key, key)
    if dimension == "status":
        if key.startswith("closed_"):
            outcome = key.removeprefix("closed_")
            named = t("figures.cat.unknown") if outcome == "unknown" else t(f"outcome.{outcome}")
            return f"{t('status.closed')}: {named}"
        return t(f"status.{key}")
    if dimension in ("urgent", "handed_over"):
        return t(f"answer.{key}")
    if dimension == "level":
        return key
    if dimension.endswith("_timeliness"):
        return t(f"figures.timeliness.{key}")
    if dimension.endswith("_steps"):
        return t(f"figures.steps.{key}")
    return t(f"figures.{dimension}.{key}")


def _line(key: str, text: str, now: Cell, before: Cell | None, k: int) -> Line:
    return Line(
        key,
        text,
        label(now, k),
        label(before, k) if before is not None else "",
        now.shown,
        before.shown if before is not None else None,
    )


def sections(figures: Figures, t: Texts, org_names: dict[str, str]) -> list[Section]:
    k = figures.k
    out = []
    for name, table in figures.current.tables.items():
        before: Table | None = figures.previous.tables.get(name)
        old = {c.key: c for c in before.cells} if before is not None else {}
        lines = tuple(
            _line(c.key, category(t, name, c.key, org_names), c, old.get(c.key), k)
            for c in table.cells
        )
        total = _line("total", t("figures.total"), table.total, before.total if before else None, k)
        out.append(
            Section(name, t(f"figures.dim.{name}"), lines, total, several=not table.partition)
        )
    return out


@dataclass(frozen=True)
class Summary:
    """The follow-up and rate lines beside the tables."""

    label: str
    current: str
    previous: str


def summary(figures: Figures, t: Texts, org_names: dict[str, str]) -> list[Summary]:
    out = []
    for kind in ("acknowledge", "feedback"):
        now, old = figures.current.medians[kind], figures.previous.medians[kind]
        out.append(Summary(t(f"figures.median.{kind}"), _days(now.days, t), _days(old.days, t)))
    for kind in DEADLINE_KINDS:
        now_share = _share(figures.current, kind)
        old_share = _share(figures.previous, kind)
        out.append(
            Summary(t(f"figures.share.{kind}"), _percent(now_share, t), _percent(old_share, t))
        )
    old_rates = {r.org_id: r for r in figures.previous.rates}
    for rate in figures.current.rates:
        before = old_rates.get(rate.org_id)
        out.append(
            Summary(
                t("figures.rate", org=org_names.get(rate.org_id, rate.org_id)),
                _per(rate.per_1000, t),
                _per(before.per_1000 if before else None, t),
            )
        )
    if figures.current.rates:
        cbs = _number(CBS_PER_1000, t)
        out.append(Summary(t("figures.cbs"), cbs, cbs))
    return out


def _share(p: PeriodFigures, kind: str) -> float | None:
    """Reports whose deadline was met on time, of all reports: from published cells only."""
    table = p.tables.get(f"{kind}_timeliness")
    if table is None:
        return None
    on_time, total = table.cell("on_time").shown, table.total.shown
    if on_time is None or not total:
        return None
    return round(100 * on_time / total)


def _percent(value: float | None, t: Texts) -> str:
    return t("figures.too_few") if value is None else f"{value:g} %"


def _number(value: float, t: Texts) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if getattr(t, "lang", "nl") == "nl" else text


def _days(value: float | None, t: Texts) -> str:
    return t("figures.too_few") if value is None else _number(value, t)


def _per(value: float | None, t: Texts) -> str:
    return t("figures.too_few") if value is None else _number(value, t)
