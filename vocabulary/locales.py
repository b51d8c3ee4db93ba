"""One locale loader for every text a person reads: the students' (`dialogues/locales/`)
and the advisers' (`escalation/console/{nl,en}.yaml`).

Both sides use it, and `dialogues` and `escalation` may share only `vocabulary`, so it
lives here. The rule, the same on both sides:

- a file is checked when it is loaded: key: text pairs (nested keys are joined with
  "."), every text non-empty, placeholders are `{names}`, and every language has the
  same placeholders as Dutch for a key — a broken file stops start-up;
- Dutch is the language every key must exist in; the keys a side uses are checked
  against it at start-up (`missing`), so a missing key stops the service before anyone
  reads a page or a message with a key in place of words;
- a key a translation lacks falls back to Dutch (tests load `strict`, without the
  fallback, to see every key a translation lacks); a key no language has raises
  KeyError, never shows itself.

What else a side's texts must be (Telegram-HTML for the students) is the caller's
`check`, run on every text as it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from string import Formatter
from typing import Any

import yaml

DEFAULT = "nl"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


class Texts:
    """One language's texts, falling back to Dutch's for a key it lacks."""

    def __init__(self, lang: str, table: dict[str, str], fallback: Texts | None = None) -> None:
        self.lang = lang
        self.table = table
        self.fallback = fallback

    def get(self, key: str, **values: object) -> str:
        """Raises KeyError for a key no language has: each side checks the keys it uses
        at start-up, so this only ever happens in a test or in code that skipped that."""
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


def load_texts(
    paths: Iterable[Path], *, check: Callable[[str], None] | None = None, strict: bool = False
) -> dict[str, Texts]:
    """Every language of `paths` (named by the file: nl.yaml is Dutch), checked.
    strict: no fallback to Dutch, so a test sees every key a translation lacks."""
    files = sorted(paths)
    tables = {p.stem: read_table(p, check) for p in files}
    if DEFAULT not in tables:
        raise ValueError(f"{DEFAULT}.yaml is missing beside {', '.join(map(str, files))}")
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


def missing(texts: dict[str, Texts], used: Iterable[str]) -> list[str]:
    """The keys of `used` that Dutch lacks: start-up stops on any."""
    return sorted(k for k in set(used) if not texts[DEFAULT].has(k))


def read_table(path: Path, check: Callable[[str], None] | None = None) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected key: text pairs")
    try:
        flat = _flatten(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    out: dict[str, str] = {}
    for key, value in flat.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{path}: {key}: expected a non-empty text")
        try:
            if check is not None:
                check(value)
            names = placeholders(value)
        except ValueError as exc:
            raise ValueError(f"{path}: {key}: {exc}") from exc
        if not all(n.isidentifier() for n in names):
            raise ValueError(f"{path}: {key}: placeholders are {{names}}")
        out[key] = value.strip()
    return out


def _flatten(data: dict[Any, Any], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ValueError(f"{prefix}{key}: expected a text key")
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
