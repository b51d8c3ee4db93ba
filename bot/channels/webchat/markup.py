"""Telegram-HTML (only <b> and <i>, user text escaped) into runs of plain text.

The page builds its messages from these runs with text nodes, never with innerHTML, so
whatever a student typed can only ever show as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

Run = tuple[str, str]  # (text, style): "", "b", "i" or "bi", plus "t" (phone) or "w" (site)

RECEIPT_CODE = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
# Dutch help-line numbers as the locale files and config.yaml write them: 0800-0113,
# 0900-8844, 070-1234567, 06 12345678, +31 70 123 4567, and the short 112 and 113. Not
# inside a longer run of digits (a receipt code, a date).
PHONE = re.compile(
    r"(?<![\w+-])(?<!\d )(?:"
    r"0[89]00[- ]?\d{4,7}"
    r"|0\d{1,3}[- ]?\d{3,4}[- ]?\d{2,4}"
    r"|\+\d{2}[- ]?\d{1,3}[- ]?\d{3,4}[- ]?\d{3,4}"
    r"|11[23]"
    r")(?![\w-]| \d)"
)

# Web addresses as config.yaml's contacts write them ("rocmondriaan.nl",
# "s-bb.nl/nieuws/meld-stagediscriminatie", "https://…"): the page links them. A dot
# ending a sentence is not part of the address.
SITE = re.compile(
    r"(?<![\w@/.-])(?:https?://)?(?:[a-z0-9-]+\.)+(?:nl|eu|com|org)(?:/[\w./-]*[\w/])?(?![\w@])",
    re.IGNORECASE,
)


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


def _phones(run: Run) -> list[Run]:
    """A run split where a phone number stands: those parts get "t" (the page makes a
    tel: link of their digits)."""
    text, style = run
    out: list[Run] = []
    start = 0
    for found in PHONE.finditer(text):
        if sum(c.isdigit() for c in found.group(0)) not in (3, *range(8, 13)):
            continue
        out += [(text[start : found.start()], style), (found.group(0), style + "t")]
        start = found.end()
    out.append((text[start:], style))
    return [r for r in out if r[0]]


def _sites(run: Run) -> list[Run]:
    """A run split where a web address stands: those parts get "w" (the page makes a
    link of them, opened in a new tab without a referrer)."""
    text, style = run
    if "t" in style:
        return [run]
    out: list[Run] = []
    start = 0
    for found in SITE.finditer(text):
        out += [(text[start : found.start()], style), (found.group(0), style + "w")]
        start = found.end()
    out.append((text[start:], style))
    return [r for r in out if r[0]]


def runs(text: str) -> list[Run]:
    """Any other tag is dropped and its text kept: the engine makes none, and a
    mistake must never turn into markup."""
    parser = _Runs()
    parser.feed(text)
    parser.close()
    return [site for run in parser.runs if run[0] for part in _phones(run) for site in _sites(part)]


def receipt_code(text: str) -> str | None:
    """The receipt code as shown in the receipt, for the page's copy button."""
    found = RECEIPT_CODE.search(text)
    return found.group(0) if found else None
