"""Telegram's HTML parse mode, strictly: which tags, nesting, and entity escapes."""

from __future__ import annotations

import html
import re

ALLOWED = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
}  # fmt: skip
TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>|<|&(#\d+|#x[0-9a-fA-F]+|\w+);|&")
ENTITIES = {"lt", "gt", "amp", "quot"}


def html_text(text: str) -> tuple[str, str | None]:
    """The visible text, and the first problem found (None when the markup is valid)."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    for m in TOKEN.finditer(text):
        if ">" in text[pos : m.start()]:
            return "", "unescaped '>'"
        out.append(text[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if token == "<":
            return "", f"unescaped '<' at offset {m.start()}"
        if token == "&":
            return "", f"unescaped '&' at offset {m.start()}"
        if token.startswith("&"):
            name = m.group(4)
            if not name.startswith("#") and name not in ENTITIES:
                return "", f"unsupported entity &{name};"
            out.append(html.unescape(token))
            continue
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag not in ALLOWED:
            return "", f"unsupported start tag {tag!r}"
        if closing:
            if not stack or stack.pop() != tag:
                return "", f"unexpected end tag {tag!r}"
        else:
            stack.append(tag)
    if ">" in text[pos:]:
        return "", "unescaped '>'"
    out.append(text[pos:])
    if stack:
        return "", f"unclosed tag {stack[-1]!r}"
    return "".join(out), None
