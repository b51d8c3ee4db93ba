"""`stagemeld` makes its files the service's alone whatever the shell's umask: the
database, the log and keys.dir 0600, their directories 0700 (docs/security.md, "Logs
and notifications"). Fails on the code that left them 0644 and 0755.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from bot.app.settings import Settings
from tests.support.harness import cli


def _tree(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


def _modes(root: Path) -> dict[str, str]:
    """Every path under root that is readable or writable by anyone but the owner."""
    return {
        str(p.relative_to(root.parent)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in _tree(root)
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    }


def test_the_command_line_makes_private_files_whatever_the_umask(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    make_settings()
    old = os.umask(0o022)
    try:
        done = cli(tmp_path / "config.yaml", "audit", "verify")
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "stagemeld.db").exists()
    assert _modes(tmp_path / "var") == {}
