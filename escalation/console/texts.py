"""The console's texts, Dutch first and English complete, from nl.yaml and en.yaml.

Read by the one locale loader (`vocabulary.locales`) with the students' rule: a broken
file stops start-up (`console_app` loads them before it serves a page), a key a
translation lacks falls back to Dutch, and a text asked for by a key no language has
raises KeyError — an adviser never reads a key in place of words. That every key is in
both languages, and every key the templates and modules name exists, is checked in
`tests/unit/escalation/test_console_texts.py`.

One thing is not a text but data: the label of a code read from the database (a
status, a grounds code, an audit action). A row may carry a code that is newer or older
than these files, and an adviser must still be able to read the report and its log,
so such a code without a label shows as the code itself (`CODE_FAMILIES`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from vocabulary.locales import DEFAULT, Texts, load_texts

HERE = Path(__file__).resolve().parent
LANGUAGES = ("nl", "en")
# key prefixes followed by a code read from the database, not named in the code
CODE_FAMILIES = frozenset(
    {
        "action",
        "actor",
        "answer",
        "deadline",
        "event",
        "field",
        "grounds",
        "level",
        "notice_kind",
        "outcome",
        "phase",
        "status",
        "visibility",
        "wants",
        "when",
    }
)


@cache
def load() -> dict[str, Texts]:
    """Both languages, checked; raises ValueError naming the file and key of a mistake."""
    return load_texts(HERE / f"{lang}.yaml" for lang in LANGUAGES)


def table(lang: str) -> dict[str, str]:
    return load()[lang].table


class ConsoleTexts:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._texts = load()[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        if not self._texts.has(key) and key.partition(".")[0] in CODE_FAMILIES:
            return key.rsplit(".", 1)[-1]  # a stored code without a label: data, not a text
        return self._texts.get(key, **values)

    def has(self, key: str) -> bool:
        return self._texts.has(key)
