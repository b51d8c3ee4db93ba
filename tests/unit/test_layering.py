"""The import direction of docs/architecture.md, checked on every file.

`vocabulary` is a leaf; `dialogues` and `storage` use only it of ours, so the pure
conversation and the database can each be read, tested and replaced alone;
`escalation` may use storage but never the bot or the dialogues; `bot` may use all.
A forbidden import fails here with its file and line, not at a reviewer's desk.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = frozenset({"bot", "dialogues", "storage", "escalation", "vocabulary"})
# package -> the other packages of ours it may import (itself is always allowed)
ALLOWED = {
    "vocabulary": frozenset(),
    "dialogues": frozenset({"vocabulary"}),
    "storage": frozenset({"vocabulary"}),
    "escalation": frozenset({"storage", "vocabulary"}),
    "bot": OURS,
}


def imported_packages(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the source."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.partition(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.partition(".")[0]))
    return sorted(found)


def forbidden(package: str, source: str, where: str) -> list[str]:
    allowed = ALLOWED[package] | {package}
    return [
        f"{where}:{line} imports {name}"
        for line, name in imported_packages(source)
        if name in OURS and name not in allowed
    ]


def test_every_package_imports_only_what_its_layer_allows() -> None:
    offences: list[str] = []
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            offences += forbidden(package, path.read_text(encoding="utf-8"), where)
    assert not offences, "imports against the layering:\n" + "\n".join(offences)


def test_the_guard_sees_a_forbidden_import() -> None:
    source = (
        "from __future__ import annotations\n"
        "import storage.db.models\n"
        "from vocabulary import ReportStatus\n"
        "if True:\n"
        "    from bot.app.settings import Settings\n"
        "from . import sibling\n"
    )
    assert forbidden("dialogues", source, "dialogues/x.py") == [
        "dialogues/x.py:2 imports storage",
        "dialogues/x.py:5 imports bot",
    ]
    assert forbidden("vocabulary", source, "v.py") == [
        "v.py:2 imports storage",
        "v.py:5 imports bot",
    ]
    assert forbidden("escalation", source, "e.py") == ["e.py:5 imports bot"]
    assert forbidden("bot", source, "bot/x.py") == []
