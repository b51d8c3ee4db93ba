"""Every word a student reads, per language, from dialogues/locales/<lang>.yaml.

The files are checked when they are loaded (Telegram-HTML with <b> and <i> only,
balanced; the same placeholders in every language), so a bad translation stops the
service at start-up instead of making Telegram refuse a message mid-conversation.
A key a translation lacks falls back to Dutch, the language every key must exist in.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import yaml

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT = "nl"
ALLOWED_TAGS = frozenset({"b", "i"})
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def lang_from_hint(hint: str | None) -> str:
    """Telegram's language_code ("en-GB", "nl", "tr") to one we speak; Dutch first."""
    return "en" if hint and hint.strip().lower().startswith("en") else DEFAULT


class Texts:
    def __init__(self, lang: str, table: dict[str, str], fallback: Texts | None = None) -> None:
        self.lang = lang
        self.table = table
        self.fallback = fallback

    def get(self, key: str, **values: object) -> str:
        """Raises KeyError for a key no language has: the engine checks its keys at start-up,
        so this only ever happens in a test or in a channel's own code."""
        template = self.table.get(key)
        if template is None:
            if self.fallback is None:
                raise KeyError(key)
            return self.fallback.get(key, **values)
        return template.format_map(values) if values else template

    def has(self, key: str) -> bool:
        return key in self.table or (self.fallback is not None and self.fallback.has(key))

    def keys(self) -> set[str]:
        return set(self.table)

    def placeholders(self, key: str) -> set[str]:
        return placeholders(self.table[key])


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def load_texts(directory: Path = LOCALES, *, strict: bool = False) -> dict[str, Texts]:
    """strict: no fallback to Dutch, so a test sees every key a translation lacks."""
    tables = {p.stem: _read(p) for p in sorted(directory.glob("*.yaml"))}
    if DEFAULT not in tables:
        raise ValueError(f"{directory}: {DEFAULT}.yaml is missing")
    for lang, table in tables.items():
        for key, template in table.items():
            reference = tables[DEFAULT].get(key)
            if reference is not None and placeholders(template) != placeholders(reference):
                raise ValueError(f"{lang}.yaml: {key} has other placeholders than {DEFAULT}.yaml")
    default = Texts(DEFAULT, tables[DEFAULT])
    fallback = None if strict else default
    return {
        lang: default if lang == DEFAULT else Texts(lang, t, fallback) for lang, t in tables.items()
    }


def check_html(text: str) -> None:
    """Raises ValueError unless `text` is Telegram-HTML that uses only <b> and <i>."""
    open_tags: list[str] = []
    rest = _TAG.sub("", text)
    if "<" in rest or ">" in rest:
        raise ValueError("a bare < or > (write &lt; or &gt;)")
    if "&" in _ENTITY.sub("", text):
        raise ValueError("a bare & (write &amp;)")
    for closing, name in _TAG.findall(text):
        if name not in ALLOWED_TAGS:
            raise ValueError(f"<{name}> is not allowed: only <b> and <i>")
        if not closing:
            if name in open_tags:
                raise ValueError(f"<{name}> inside <{name}>")
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            raise ValueError(f"</{name}> closes nothing")
    if open_tags:
        raise ValueError(f"<{open_tags[-1]}> is never closed")


def _read(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected key: text pairs")
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
            raise ValueError(f"{path}: {key}: expected a non-empty text")
        try:
            check_html(value)
            names = placeholders(value)
        except ValueError as exc:
            raise ValueError(f"{path}: {key}: {exc}") from exc
        if not all(n.isidentifier() for n in names):
            raise ValueError(f"{path}: {key}: placeholders are {{names}}")
        out[key] = value.strip()
    return out
