"""The spreadsheet: the same suppressed tables as the page, as an .xlsx that Dutch Excel
and LibreOffice open as they are. Shown counts are real numbers (so they sum and chart),
hidden ones the text "< 5" or "×"; no formulas, no dates to misread, no macros.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from escalation.figures.sheet import Line, Section, Summary

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Texts = Callable[..., str]


def _value(shown: str, number: int | None) -> int | str:
    return number if number is not None else shown


def _line(ws: Worksheet, line: Line, bold: bool = False) -> None:
    from openpyxl.styles import Font

    ws.append(
        [line.label, _value(line.current, line.current_n), _value(line.previous, line.previous_n)]
    )
    if bold:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)


def workbook(
    sections: Sequence[Section],
    summary: Sequence[Summary],
    t: Texts,
    periods: tuple[str, str],
    k: int,
) -> bytes:
    # Imported here, not at start: openpyxl (with lxml) is memory an idle service would
    # hold for a download a coordinator makes a few times a year.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    if ws is None:  # a new workbook always has one sheet
        ws = book.create_sheet()
    ws.title = t("figures.sheet_tables")[:31]
    ws.append([t("figures.title")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([t("figures.legend", k=k, k2=2 * k - 1)])
    for section in sections:
        ws.append([])
        ws.append([section.title, *periods])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for line in section.lines:
            _line(ws, line)
        _line(ws, section.total, bold=True)
        if section.several:
            ws.append([t("figures.several")])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 18
    follow = book.create_sheet(t("figures.sheet_follow_up")[:31])
    follow.append(["", *periods])
    for item in summary:
        follow.append([item.label, item.current, item.previous])
    follow.column_dimensions["A"].width = 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
