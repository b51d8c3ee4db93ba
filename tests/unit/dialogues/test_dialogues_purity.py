"""The engine is pure: no other layer, no clock, no randomness, no I/O once built.
That is what lets a channel replay a turn, and what keeps report text out of logs."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

import dialogues
from tests.support.dialogue_driver import Chat, file_draft

PACKAGE = Path(dialogues.__file__).resolve().parent
FORBIDDEN = {
    "bot",
    "storage",
    "escalation",
    "random",
    "secrets",
    "time",
    "os",
    "socket",
    "subprocess",
    "logging",
    "asyncio",
    "aiogram",
    "sqlalchemy",
}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_imports_nothing_it_must_not(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_no_file_is_read_while_talking(monkeypatch: pytest.MonkeyPatch) -> None:
    chat = Chat()
    chat.cmd("start")

    def refuse(*_: object, **__: object) -> object:
        raise AssertionError("the engine read a file at handle time")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    file_draft(chat, {"evidence": "yes", "evidence_note": "x"})
    chat.submitted()
    chat.cmd("privacy")


def _transcript() -> list[object]:
    chat = Chat(lang_hint="en")
    chat.cmd("start")
    file_draft(chat)
    out = chat.submitted()
    return [chat.state, out]


def test_the_same_conversation_gives_the_same_answers() -> None:
    assert _transcript() == _transcript()
