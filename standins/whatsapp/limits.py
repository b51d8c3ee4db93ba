"""The limits Meta documents but its schema does not hold (SOURCE.md, "Looser than
Meta's documented limits"), and WhatsApp's formatting: checked on every accepted body."""

from __future__ import annotations

import re
from typing import Any

TEXT_MAX = 4096
BODY_MAX = 1024
ROWS_MAX = 10
HTML_TAG = re.compile(r"</?(b|i|u|s|a|code|pre|br)\b[^>]*>", re.IGNORECASE)


def limit_errors(body: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if not re.fullmatch(r"\d{6,15}", str(body.get("to", ""))):
        errors.append("to: not a phone number in international format without +")
    kind = body.get("type")
    if kind == "text":
        errors += _text(body.get("text", {}).get("body", ""), "text/body", TEXT_MAX)
    elif kind == "interactive":
        errors += _interactive(body.get("interactive", {}))
    elif kind == "template":
        template = body.get("template", {})
        if not template.get("name"):
            errors.append("template/name: empty")
    return errors


def _text(text: object, where: str, limit: int) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return [f"{where}: empty"]
    errors = []
    if len(text) > limit:
        errors.append(f"{where}: {len(text)} characters, more than {limit}")
    tag = HTML_TAG.search(text)
    if tag:
        errors.append(f"{where}: HTML tag {tag.group(0)!r}; WhatsApp shows it as typed")
    return errors


def _interactive(interactive: dict[str, Any]) -> list[str]:
    errors = _text(interactive.get("body", {}).get("text"), "interactive/body/text", BODY_MAX)
    action = interactive.get("action", {})
    if interactive.get("type") == "button":
        buttons = action.get("buttons", [])
        titles = [b.get("reply", {}).get("title", "") for b in buttons]
        ids = [b.get("reply", {}).get("id", "") for b in buttons]
        errors += _unique_nonempty(titles, "button titles") + _unique_nonempty(ids, "button ids")
        errors += [f"button id {i!r}: leading/trailing space" for i in ids if i != i.strip()]
    elif interactive.get("type") == "list":
        if not str(action.get("button", "")).strip():
            errors.append("list: the button text is empty")
        sections = action.get("sections", [])
        rows = [r for s in sections for r in s.get("rows", [])]
        if len(rows) > ROWS_MAX:
            errors.append(f"list: {len(rows)} rows, more than {ROWS_MAX} in total")
        if len(sections) > 1 and not all(s.get("title") for s in sections):
            errors.append("list: a section title is required when there is more than one")
        errors += _unique_nonempty([r.get("title", "") for r in rows], "row titles")
        errors += _unique_nonempty([r.get("id", "") for r in rows], "row ids")
    return errors


def _unique_nonempty(values: list[str], what: str) -> list[str]:
    errors = []
    if any(not str(v).strip() for v in values):
        errors.append(f"{what}: one is empty")
    if len(set(values)) != len(values):
        errors.append(f"{what}: not unique {values}")
    return errors
