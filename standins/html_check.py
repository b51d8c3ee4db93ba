"""Telegram's HTML parse mode, checked strictly.

Supported (core.telegram.org/bots/api#html-style): b strong i em u ins s strike del,
span class="tg-spoiler", tg-spoiler, a href, code (class="language-x" inside pre), pre,
blockquote [expandable], tg-emoji emoji-id, tg-time unix [format]. Entities: &lt; &gt; &amp;
&quot; and numeric ones. Tags must nest and close. Nesting rules from the docs: pre and code
hold no other entity (except pre > code for the language), blockquotes do not nest, and
links, custom emoji, times, code and pre do not contain each other.

Stricter than Telegram on purpose: Telegram keeps an unknown "&..." literally and silently
drops formatting that breaks the nesting rules; here both are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
EXCLUSIVE = frozenset({"text_link", "custom_emoji", "date_time", "code", "pre"})
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z]+));")
_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_ATTRS_END = re.compile(
    r"((?:\s+[A-Za-z][A-Za-z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")


class HtmlError(ValueError):
    """Why Telegram would answer "can't parse entities"."""


@dataclass
class Parsed:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    kind: str
    offset: int
    extra: dict[str, Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int]:
    match = _ENTITY.match(source, index)
    if match:
        decimal, hexadecimal, name = match.groups()
        if name is None:
            point = int(decimal) if decimal else int(hexadecimal, 16)
            if 0 < point <= 0x10FFFF and not 0xD800 <= point <= 0xDFFF:
                return chr(point), match.end()
        elif name in NAMED_ENTITIES:
            return NAMED_ENTITIES[name], match.end()
    raise HtmlError(
        f'unescaped "&" at byte offset {_byte_offset(source, index)}: only &lt; &gt; &amp; '
        "&quot; and numeric entities are supported"
    )


def _decode_value(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            char, i = _decode_entity(value, i)
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _attributes(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for m in _ATTR.finditer(raw):
        value = next((g for g in m.groups()[1:] if g is not None), "")
        attrs.setdefault(m.group(1).lower(), _decode_value(value))
    return attrs


def _extra(tag: str, attrs: dict[str, str], where: str) -> dict[str, Any]:
    """Entity fields a start tag contributes; raises on missing/invalid attributes."""
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlError(f'tag "span" must have class "tg-spoiler" {where}')
    if tag == "a":
        return {"url": attrs["href"]} if attrs.get("href") else {}
    if tag == "tg-emoji":
        if not attrs.get("emoji-id", "").isdigit():
            raise HtmlError(f'tag "tg-emoji" needs a numeric emoji-id attribute {where}')
        return {"custom_emoji_id": attrs["emoji-id"]}
    if tag == "tg-time":
        if not re.fullmatch(r"-?\d+", attrs.get("unix", "")):
            raise HtmlError(f'tag "tg-time" needs a numeric unix attribute {where}')
        extra: dict[str, Any] = {"unix_time": int(attrs["unix"])}
        if "format" in attrs:
            extra["date_time_format"] = attrs["format"]
        return extra
    if tag == "code" and attrs.get("class", "").startswith("language-"):
        return {"language": attrs["class"][len("language-") :]}
    if tag == "blockquote" and "expandable" in attrs:
        return {"expandable": True}
    return {}


def _check_nesting(tag: str, kind: str, stack: list[_Open], where: str) -> None:
    if not stack:
        return
    parent = stack[-1]
    if parent.kind == "pre" and tag == "code" and not any(o.kind == "code" for o in stack):
        return
    for outer in stack:
        if outer.kind in ("code", "pre"):
            raise HtmlError(f'"{tag}" inside "{outer.tag}" {where}: pre and code hold no entities')
        if kind in EXCLUSIVE and outer.kind in EXCLUSIVE:
            raise HtmlError(f'"{tag}" inside "{outer.tag}" {where}: these cannot be nested')
        if kind == "blockquote" and outer.kind == "blockquote":
            raise HtmlError(f"blockquote inside blockquote {where}")


def _entity(opened: _Open, end: int, stack: list[_Open]) -> dict[str, Any] | None:
    """The entity a closed tag yields (None when empty, or when it is pre's code)."""
    length = end - opened.offset
    extra = dict(opened.extra)
    kind = opened.kind
    if kind == "code" and stack and stack[-1].kind == "pre":
        if "language" in extra:
            stack[-1].extra["language"] = extra["language"]
            return None
        extra.pop("language", None)
    if kind == "blockquote" and extra.pop("expandable", False):
        kind = "expandable_blockquote"
    if kind == "text_link" and "url" not in extra:
        return None
    if length <= 0:
        return None
    return {"type": kind, "offset": opened.offset, "length": length, **extra}


def parse_html(source: str) -> Parsed:
    """Text as the user sees it, and its entities (offsets in UTF-16 code units)."""
    out: list[str] = []
    offset = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i)
            out.append(decoded)
            offset += utf16_len(decoded)
            continue
        if char != "<":
            out.append(char)
            offset += utf16_len(char)
            i += 1
            continue
        where = f"at byte offset {_byte_offset(source, i)}"
        if source.startswith("</", i):
            end = _END_TAG.match(source, i)
            if end is None:
                raise HtmlError(f"malformed end tag {where}")
            tag = end.group(1).lower()
            if not stack:
                raise HtmlError(f'unexpected end tag "</{tag}>" {where}')
            if stack[-1].tag != tag:
                raise HtmlError(
                    f'unmatched end tag {where}, expected "</{stack[-1].tag}>", found "</{tag}>"'
                )
            opened = stack.pop()
            if (entity := _entity(opened, offset, stack)) is not None:
                entities.append(entity)
            i = end.end()
            continue
        name = _TAG_NAME.match(source, i + 1)
        tag = name.group(0).lower() if name else ""
        if tag not in KINDS:
            hint = "" if tag else " (a literal '<' must be written &lt;)"
            raise HtmlError(f'unsupported start tag "{tag}" {where}{hint}')
        assert name is not None
        rest = _ATTRS_END.match(source, name.end())
        if rest is None:
            raise HtmlError(f'malformed start tag "{tag}" {where}')
        kind = KINDS[tag]
        _check_nesting(tag, kind, stack, where)
        stack.append(_Open(tag, kind, offset, _extra(tag, _attributes(rest.group(1)), where)))
        i = rest.end()
    if stack:
        raise HtmlError(f'can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Parsed("".join(out), entities)
