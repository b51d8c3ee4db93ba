"""The lock files cover pyproject.toml: `make` installs only what requirements/*.txt pin.

A dependency added to pyproject.toml without `make lock` would install nowhere (the
install step runs pip with `--require-hashes -r requirements/dev.txt`, then stagemeld with
`--no-deps`), and fail only where it is first imported. So every declared dependency must
be pinned, at a version its specifier allows, with hashes; main.txt, what a server
installs, must hold no dev tool.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.MULTILINE)


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    main = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return main, dev


def pinned(path: Path) -> dict[str, Version]:
    text = path.read_text(encoding="utf-8")
    return {canonicalize_name(name): Version(v) for name, v in PIN.findall(text)}


def unmet(wanted: list[Requirement], pins: dict[str, Version]) -> list[str]:
    missing = []
    for req in wanted:
        version = pins.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            missing.append(f"{req} (pinned: {version})")
    return missing


def test_every_dependency_is_pinned_at_an_allowed_version() -> None:
    main, dev = declared()
    assert unmet(main, pinned(ROOT / "requirements" / "main.txt")) == [], "run make lock"
    assert unmet(main + dev, pinned(ROOT / "requirements" / "dev.txt")) == [], "run make lock"


def test_the_server_lock_holds_no_dev_tool() -> None:
    main, dev = declared()
    servers = pinned(ROOT / "requirements" / "main.txt")
    needed = {canonicalize_name(r.name) for r in main}
    tools = {canonicalize_name(r.name) for r in dev} - needed
    assert sorted(tools & servers.keys()) == []


def test_every_pin_has_a_hash() -> None:
    for name in ("main.txt", "dev.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 1)[1])
        pins = [e for e in entries if PIN.match(e)]
        assert pins, name
        assert [e.split()[0] for e in pins if "--hash=sha256:" not in e] == [], name
