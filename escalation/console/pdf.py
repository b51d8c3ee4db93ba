"""A report as a PDF for the adviser's file: timestamped, with its reference, every
field, the thread, and "confidential" on every page.

The body is `sheet.build`'s list, the same one the report page shows, each field as
"label: value", so the paper copy holds every answer the page shows, worded the same.
fpdf2 and fontTools log each font subsetting at INFO/WARNING; those loggers are kept
at ERROR so a download writes nothing to the service's log.

Students write in many scripts. With a Unicode TrueType font (DejaVu Sans, Debian's
`fonts-dejavu-core`, which `make test` installs where missing) the text is embedded as
written; without one, the PDF falls back to a core font and replaces what Latin-1 cannot
show with "?". Either way, characters the font lacks (DejaVu has no CJK, for instance)
are named by a line at the top, so the paper copy never silently differs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from escalation.console import sheet
from escalation.console.present import local
from escalation.console.texts import ConsoleTexts
from storage.repositories.cases import CaseView

# Font subsetting is chatty ("subsetting 123 glyphs", "… not found in font"): nothing an
# operator can act on, once per download.
QUIET = ("fpdf", "fontTools")
for _name in QUIET:
    logging.getLogger(_name).setLevel(logging.ERROR)

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
FAMILY = "DejaVu"


def unicode_font() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class ConsolePDF(FPDF):
    """What every PDF the console makes shares: DejaVu where the machine has it (else the
    core font, with what it cannot show replaced), headings and paragraphs. The report
    sheet below and the figures' reflection report (`escalation/figures/report_pdf.py`)
    differ only in their sizes and footers."""

    HEADING_SIZE, HEADING_LEADING = 12.0, 0.6  # leading: line height per point, in mm
    PARA_SIZE, PARA_LINE = 10.0, 5.0

    def __init__(self, font: tuple[Path, Path] | None, *, margin: float) -> None:
        super().__init__(format="A4")
        self.unicode = font is not None
        if font is not None:
            self.add_font(FAMILY, "", str(font[0]))
            self.add_font(FAMILY, "B", str(font[1]))
            self.family_name = FAMILY
        else:
            self.family_name = "helvetica"
        self.lossy = False
        self.set_auto_page_break(auto=True, margin=margin)

    def clean(self, text: str) -> str:
        if self.unicode:
            return text
        plain = text.replace("×", "x")
        safe = plain.encode("latin-1", errors="replace").decode("latin-1")
        self.lossy = self.lossy or safe != plain
        return safe

    def heading(self, text: str, size: float | None = None) -> None:
        size = size or self.HEADING_SIZE
        self.set_font(self.family_name, "B", size)
        leading = size * self.HEADING_LEADING
        self.multi_cell(0, leading, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, text: str, size: float | None = None) -> None:
        self.set_font(self.family_name, "", size or self.PARA_SIZE)
        self.multi_cell(0, self.PARA_LINE, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)


class _Document(ConsolePDF):
    def __init__(self, footer: str, t: ConsoleTexts, font: tuple[Path, Path] | None) -> None:
        super().__init__(font, margin=20)
        self._footer, self._t = footer, t

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.family_name, "B", 8)
        page = self._t("pdf.page", page=self.page_no())
        self.cell(0, 10, self.clean(f"{self._footer} — {page}"), align="C")


def render(
    view: CaseView,
    t: ConsoleTexts,
    *,
    adviser: str,
    made_at: datetime,
    names: sheet.Names,
    font: tuple[Path, Path] | None,
    compress: bool = True,
) -> bytes:
    """`names` reads adviser and organization ids; `font` None means the core-font
    fallback (see the module's docstring)."""
    doc = _Document(t("pdf.confidential"), t, font)
    doc.set_compression(compress)
    doc.set_title(t("pdf.title", reference=view.summary.reference))
    doc.add_page()
    body = _lines(sheet.build(view, t, names, made_at), t)
    doc.heading(t("pdf.title", reference=view.summary.reference), 16)
    doc.para(t("pdf.made", when=_when(made_at), adviser=adviser), 9)
    if missing("".join(text for _, text in body), font):
        doc.para(t("pdf.missing_glyphs"), 9)
    for kind, text in body:
        doc.para(text) if kind == "p" else doc.heading(text)
    return bytes(doc.output())


def missing(text: str, font: tuple[Path, Path] | None) -> str:
    """The characters of `text` this PDF cannot show (in order, once each)."""
    shown = _covered(str(font[0])) if font is not None else None
    out: dict[str, None] = {}
    for ch in text:
        if ch in "\n\t":
            continue
        ok = ord(ch) in shown if shown is not None else ord(ch) < 256
        if not ok:
            out[ch] = None
    return "".join(out)


@cache
def _covered(path: str) -> frozenset[int]:
    cmap = TTFont(path, lazy=True)["cmap"].getBestCmap()
    return frozenset(cmap)


def _when(moment: datetime) -> str:
    return local(moment, "%d-%m-%Y %H:%M %Z")


def _lines(built: sheet.Sheet, t: ConsoleTexts) -> Sequence[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for section in built.sections:
        out.append(("h", section.title))
        if not section.fields and section.key == "attachments":
            out.append(("p", t("report.no_attachments")))
        out += [("p", f"{f.label}: {f.value}") for f in section.fields]
    out.append(("h", t("report.thread")))
    if not built.thread:
        out.append(("p", t("report.no_thread")))
    out += [("p", f"{line.when} — {line.who}\n{line.text}") for line in built.thread]
    return out
