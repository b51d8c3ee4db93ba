"""Telegram-HTML (only <b> and <i>, user text escaped) into runs of plain text.

The page builds its messages from these runs with text nodes, never with innerHTML, so
whatever a student typed can only ever show as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

Run = tuple[str, str]  # (text, style): style is "", "b", "i" or "bi"

RECEIPT_CODE = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")


class _Runs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = {"b": 0, "i": 0}
        self.runs: list[Run] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.depth:
            self.depth[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.depth:
            self.depth[tag] = max(0, self.depth[tag] - 1)

    def handle_data(self, data: str) -> None:
        style = "".join(tag for tag in ("b", "i") if self.depth[tag])
        if self.runs and self.runs[-1][1] == style:
            self.runs[-1] = (self.runs[-1][0] + data, style)
        else:
            self.runs.append((data, style))


def runs(text: str) -> list[Run]:
    """Any other tag is dropped and its text kept: the engine makes none, and a
    mistake must never turn into markup."""
    parser = _Runs()
    parser.feed(text)
    parser.close()
    return [run for run in parser.runs if run[0]]


def receipt_code(text: str) -> str | None:
    """The receipt code as shown in the receipt, for the page's copy button."""
    found = RECEIPT_CODE.search(text)
    return found.group(0) if found else None
