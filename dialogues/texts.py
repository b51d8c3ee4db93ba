"""Every word a student reads, per language, from dialogues/locales/<lang>.yaml."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import yaml

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT = "nl"


def lang_from_hint(hint: str | None) -> str:
    """Telegram's language_code ("en-GB", "nl", "tr") to one we speak; Dutch first."""
    return "en" if hint and hint.lower().startswith("en") else DEFAULT


class Texts:
    def __init__(self, lang: str, table: dict[str, str], fallback: Texts | None = None) -> None:
        self.lang = lang
        self.table = table
        self.fallback = fallback

    def get(self, key: str, **values: object) -> str:
        template = self.table.get(key)
        if template is None:
            if self.fallback is None:
                raise KeyError(key)
            return self.fallback.get(key, **values)
        return template.format(**values) if values else template

    def keys(self) -> set[str]:
        return set(self.table)

    def placeholders(self, key: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(self.table[key]) if name}


def load_texts(directory: Path = LOCALES) -> dict[str, Texts]:
    tables = {p.stem: _read(p) for p in sorted(directory.glob("*.yaml"))}
    default = Texts(DEFAULT, tables[DEFAULT])
    return {
        lang: default if lang == DEFAULT else Texts(lang, t, default) for lang, t in tables.items()
    }


def _read(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path}: expected key: text pairs")
    return {str(k): v.strip() for k, v in data.items()}
