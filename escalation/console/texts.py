"""The console's texts, Dutch first and English complete, from nl.yaml and en.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
LANGUAGES = ("nl", "en")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@cache
def table(lang: str) -> dict[str, str]:
    data = yaml.safe_load((HERE / f"{lang}.yaml").read_text(encoding="utf-8"))
    return _flatten(data)


class ConsoleTexts:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "nl"
        self._table = table(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        text = self._table.get(key)
        if text is None:
            # A code without a label (a new grounds code, say) shows as itself.
            return key.rsplit(".", 1)[-1]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._table
