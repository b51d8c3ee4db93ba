"""Rules a field's description states in prose, read with a few regular expressions.

"1-4096 characters after entities parsing", "1-64 bytes", "A JSON-serialized list of 1-100
identifiers", "At most 100 commands can be specified", "Scope type, must be chat",
"Must be one of "danger", "success" or "primary"", "Can contain only lowercase English
letters, digits and underscores". Characters are counted as Unicode code points (as TDLib's
utf8_length does), bytes as UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LENGTH = re.compile(r"\b(\d+)-(\d+) (characters|bytes)\b", re.IGNORECASE)
_ITEMS = re.compile(r"\b(\d+)-(\d+) (?!characters\b|bytes\b)[a-z]", re.IGNORECASE)
_AT_MOST = re.compile(r"\bAt most (\d+) \w+ can be specified", re.IGNORECASE)
_CONSTANT = re.compile(r"[^.]*, must be ([A-Za-z0-9_]+)")
_ONE_OF = re.compile(r"must be one of (.*)", re.IGNORECASE)
_PATTERNS = {
    "only lowercase english letters, digits and underscores": r"[a-z0-9_]*",
    "a-z, a-z, 0-9, _ and - are allowed": r"[A-Za-z0-9_-]*",
}


@dataclass(frozen=True)
class Rules:
    length: tuple[int, int] | None = None
    in_bytes: bool = False
    after_parsing: bool = False
    items: tuple[int, int] | None = None
    pattern: str | None = None
    choices: tuple[str, ...] | None = None

    def __bool__(self) -> bool:
        return self != Rules()


def _span(match: re.Match[str] | None) -> tuple[int, int] | None:
    if match is None:
        return None
    low, high = int(match.group(1)), int(match.group(2))
    return (low, high) if low <= high else None


def rules_for(types: tuple[str, ...], description: str) -> Rules:
    is_string = "String" in types
    is_array = any(t.startswith("Array of ") for t in types)
    length = in_bytes = None
    after_parsing = False
    if is_string and (m := _LENGTH.search(description)):
        length = _span(m)
        in_bytes = m.group(3).lower() == "bytes"
        after_parsing = "after entit" in description
    items = None
    if is_array:
        items = _span(_ITEMS.search(description))
        if items is None and (m := _AT_MOST.search(description)):
            items = (0, int(m.group(1)))
    pattern = None
    choices: tuple[str, ...] | None = None
    if is_string:
        lowered = description.lower()
        pattern = next((p for phrase, p in _PATTERNS.items() if phrase in lowered), None)
        if m := _CONSTANT.fullmatch(description):
            choices = (m.group(1),)
        elif m := _ONE_OF.search(description):
            choices = tuple(re.findall(r'"([^"]+)"', m.group(1))) or None
    return Rules(length, bool(in_bytes), after_parsing, items, pattern, choices)
