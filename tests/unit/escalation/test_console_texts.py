"""The advisers' texts: both languages complete and alike, every key the console names
present, the codes it labels labelled, and a broken file caught at start-up — the rule
of the one locale loader (`vocabulary.locales`), as for the students' texts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from escalation.console import present
from escalation.console.texts import HERE, LANGUAGES, ConsoleTexts, table
from storage.repositories.cases import OUTCOMES
from vocabulary import ReportStatus, ThreadEvent
from vocabulary.locales import load_texts, placeholders

NL, EN = table("nl"), table("en")
# t("list.title"), t('report.due', when=…): a key named whole, in a template or a module
NAMED = re.compile(r"""\bt\(\s*(["'])([A-Za-z0-9_.]+)\1\s*[,)]""")


def named_keys() -> dict[str, str]:
    """Every key named whole in the console's templates and modules, and where."""
    found: dict[str, str] = {}
    for path in sorted([*HERE.rglob("*.html"), *HERE.glob("*.py")]):
        for match in NAMED.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), path.name)
    return found


def test_both_languages_have_the_same_keys() -> None:
    assert set(NL) - set(EN) == set(), "missing in en.yaml"
    assert set(EN) - set(NL) == set(), "missing in nl.yaml"


def test_the_same_placeholders_in_both_languages() -> None:
    assert [k for k in NL if placeholders(NL[k]) != placeholders(EN[k])] == []


def test_every_key_the_console_names_exists() -> None:
    named = named_keys()
    assert len(named) > 100  # the pattern still finds the console's keys
    assert {k: where for k, where in named.items() if k not in NL} == {}


@pytest.mark.parametrize(
    ("family", "codes"),
    [
        ("status", [s.value for s in ReportStatus]),
        ("outcome", list(OUTCOMES)),
        ("event", [e.value for e in ThreadEvent]),
        ("actor", sorted(present.ACTORS)),
        ("field", list(present.ORDER)),
    ],
)
def test_every_code_the_console_labels_has_a_label(family: str, codes: list[str]) -> None:
    for lang in LANGUAGES:
        assert [c for c in codes if f"{family}.{c}" not in table(lang)] == [], lang


def test_a_key_no_language_has_is_an_error_and_a_stored_code_shows_as_itself() -> None:
    t = ConsoleTexts("en")
    with pytest.raises(KeyError):
        t("report.no_such_text")
    assert t("grounds.some_new_code") == "some_new_code"  # data newer than the texts
    assert t("status.closed") == "Closed"
    assert ConsoleTexts("tr").lang == "nl"


def _copy(tmp_path: Path) -> list[Path]:
    paths = []
    for lang in LANGUAGES:
        target = tmp_path / f"{lang}.yaml"
        shutil.copy(HERE / f"{lang}.yaml", target)
        paths.append(target)
    return paths


def _edit(path: Path, section: str, key: str, value: str) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[section][key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("bad", ["Due {when", "Due {wanneer}", "   "])
def test_a_broken_translation_stops_loading(tmp_path: Path, bad: str) -> None:
    nl, en = _copy(tmp_path)
    assert load_texts([nl, en])["en"].get("report.due", when="x")
    _edit(en, "report", "due", bad)
    with pytest.raises(ValueError, match="due"):
        load_texts([nl, en])
