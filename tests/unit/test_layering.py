"""The import direction of docs/architecture.md, checked on every file.

`vocabulary` is a leaf; `dialogues` and `storage` use only it of ours, so the pure
conversation and the database can each be read, tested and replaced alone;
`escalation` may use storage but never the bot or the dialogues; `bot` may use all.
Inside `bot`: the intake (`bot/intake`) knows no channel and no app module; a channel
(`bot/channels/<name>`) knows no other channel and not `bot.app` (the shared HTTP
plumbing, `bot.channels.http`, is for all); and only `bot/app` reaches the container,
which builds every service and hands each what it uses.
A forbidden import fails here with its file and line, not at a reviewer's desk.
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

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


SHARED_CHANNEL = "http"  # bot.channels.http: the web server and its headers, not a channel
CONTAINER = "bot.app.container"


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import; `from a.b import c` gives a.b.c, so
    a module imported by name from its package is seen as that module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return sorted(found)


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def channel_of(name: str) -> str | None:
    """The channel a dotted name belongs to (bot.channels.webchat.page: webchat)."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["bot", "channels"] else None


def _room(where: str) -> tuple[str, str | None]:
    """Where a file of bot/ lives: ("intake" | "app" | "channel" | "", its channel)."""
    parts = PurePosixPath(where).with_suffix("").parts
    if parts[:2] == ("bot", "channels") and len(parts) > 2 and parts[2] != "__init__":
        return "channel", parts[2]
    return (parts[1] if len(parts) > 2 and parts[1] in ("intake", "app") else ""), None


def forbidden_in_bot(source: str, where: str) -> list[str]:
    """The rules inside bot/ for the file at `where` (relative to the repository)."""
    room, channel = _room(where)
    offences: list[str] = []
    for line, name in imported_modules(source):
        other = channel_of(name)
        if room == "intake" and (_under(name, "bot.channels") or _under(name, "bot.app")):
            offences.append(f"{where}:{line} imports {name} (the intake knows no channel, no app)")
        elif room == "channel" and other not in (None, channel, SHARED_CHANNEL):
            offences.append(f"{where}:{line} imports {name} (a channel knows no other channel)")
        elif room == "channel" and _under(name, "bot.app"):
            offences.append(f"{where}:{line} imports {name} (a channel is handed what it uses)")
        elif room != "app" and _under(name, CONTAINER):
            offences.append(f"{where}:{line} imports {name} (only bot/app builds the container)")
    return offences


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


def test_inside_bot_each_room_imports_only_what_it_may() -> None:
    offences: list[str] = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        offences += forbidden_in_bot(path.read_text(encoding="utf-8"), where)
    assert not offences, "imports against the rooms of bot/:\n" + "\n".join(offences)


def test_the_guard_sees_a_forbidden_import_inside_bot() -> None:
    source = (
        "import bot.channels.telegram.app\n"
        "from bot.channels.http.server import WebServer\n"
        "from bot.channels import webchat\n"
        "from bot.app.container import Container\n"
        "from bot.app import settings\n"
        "from bot.intake.turns import Turns\n"
        "from storage.repositories.updates import UpdateLog\n"
    )
    assert forbidden_in_bot(source, "bot/intake/x.py") == [
        "bot/intake/x.py:1 imports bot.channels.telegram.app (the intake knows no channel, no app)",
        "bot/intake/x.py:2 imports bot.channels.http.server.WebServer "
        "(the intake knows no channel, no app)",
        "bot/intake/x.py:3 imports bot.channels.webchat (the intake knows no channel, no app)",
        "bot/intake/x.py:4 imports bot.app.container.Container "
        "(the intake knows no channel, no app)",
        "bot/intake/x.py:5 imports bot.app.settings (the intake knows no channel, no app)",
    ]
    at = "bot/channels/whatsapp/x.py"
    assert forbidden_in_bot(source, at) == [
        f"{at}:1 imports bot.channels.telegram.app (a channel knows no other channel)",
        f"{at}:3 imports bot.channels.webchat (a channel knows no other channel)",
        f"{at}:4 imports bot.app.container.Container (a channel is handed what it uses)",
        f"{at}:5 imports bot.app.settings (a channel is handed what it uses)",
    ]
    terminal = "bot/channels/terminal.py"
    assert [o.split(" (")[0] for o in forbidden_in_bot(source, terminal)] == [
        f"{terminal}:1 imports bot.channels.telegram.app",
        f"{terminal}:3 imports bot.channels.webchat",
        f"{terminal}:4 imports bot.app.container.Container",
        f"{terminal}:5 imports bot.app.settings",
    ]
    assert forbidden_in_bot(source, "bot/channels/telegram/routers/x.py") == [
        "bot/channels/telegram/routers/x.py:3 imports bot.channels.webchat "
        "(a channel knows no other channel)",
        "bot/channels/telegram/routers/x.py:4 imports bot.app.container.Container "
        "(a channel is handed what it uses)",
        "bot/channels/telegram/routers/x.py:5 imports bot.app.settings "
        "(a channel is handed what it uses)",
    ]
    assert forbidden_in_bot(source, "bot/x.py") == [
        "bot/x.py:4 imports bot.app.container.Container (only bot/app builds the container)"
    ]
    assert forbidden_in_bot(source, "bot/app/wiring.py") == []
