"""The yearly reflection report: one PDF with the period's charts and tables beside the
period before, the follow-up times and the students' own words (only what they allowed
to be quoted anonymously). Same suppressed cells as the page and the spreadsheet.

Charts are embedded as PNG (matplotlib's Agg): fpdf2 draws them reliably, and the
numbers are in the tables under each chart as text.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

from fpdf.fonts import FontFace

from escalation.console.pdf import ConsolePDF, unicode_font
from escalation.console.present import local
from escalation.figures import charts
from escalation.figures.sheet import Section, Summary, period_label
from escalation.figures.tables import Figures

Texts = Callable[..., str]


class _Report(ConsolePDF):
    HEADING_SIZE, HEADING_LEADING = 13.0, 0.55
    PARA_SIZE, PARA_LINE = 9.0, 4.6

    def __init__(self, t: Texts) -> None:
        super().__init__(unicode_font(), margin=18)
        self._t = t

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.cell(0, 8, self.clean(self._t("pdf.page", page=self.page_no())), align="C")

    def rows(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.set_font(self.family_name, "", 8.5)
        bold = FontFace(emphasis="BOLD")
        with self.table(col_widths=(60, 20, 20), headings_style=bold, line_height=5) as table:
            for values in (header, *rows):
                row = table.row()
                for value in values:
                    row.cell(self.clean(value))
        self.ln(2)


def render(
    figures: Figures,
    sections: Sequence[Section],
    summary: Sequence[Summary],
    t: Texts,
    *,
    made_at: datetime,
    by: str,
    scope: str = "",
    quotes: Sequence[str] | None = None,
    compress: bool = True,
) -> bytes:
    doc = _Report(t)
    doc.set_compression(compress)
    now, before = period_label(figures.current), period_label(figures.previous)
    doc.set_title(t("figures.report_title", period=now))
    doc.add_page()
    doc.heading(t("figures.report_title", period=now), 16)
    if scope:
        doc.para(t("figures.scope", org=scope))
    doc.para(t("figures.made", when=local(made_at, "%d-%m-%Y"), by=by))
    doc.para(t("figures.legend", k=figures.k, k2=2 * figures.k - 1))
    if figures.demo:
        doc.para(t("figures.demo", count=figures.demo))
    doc.heading(t("figures.follow_up"))
    doc.rows(["", now, before], [[s.label, s.current, s.previous] for s in summary])
    for section in sections:
        _section(doc, section, (now, before), t)
    _quotes(doc, t, quotes)
    return bytes(doc.output())


def _section(doc: _Report, section: Section, names: tuple[str, str], t: Texts) -> None:
    if doc.get_y() > 180:
        doc.add_page()
    doc.heading(section.title)
    image = charts.png(section, names)
    doc.image(io.BytesIO(image), w=150)
    rows = [[x.label, x.current, x.previous] for x in (*section.lines, section.total)]
    doc.rows([t("figures.category"), *names], rows)
    if section.several:
        doc.para(t("figures.several"), 8)


def _quotes(doc: _Report, t: Texts, quotes: Sequence[str] | None) -> None:
    doc.heading(t("figures.quotes"))
    if quotes is None:
        doc.para(t("figures.quotes_network_only"))
        return
    if not quotes:
        doc.para(t("figures.quotes_none"))
        return
    for quote in quotes:
        doc.para(f"“{quote}”")
