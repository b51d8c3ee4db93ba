"""Logging as the real service sets it up (a file under var/log), for tests that read
what the log keeps; the root logger's handlers and level are put back afterwards so one
test's file never collects another's lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.app.logs import setup_logging


@contextmanager
def service_log(tmp_path: Path, level: str) -> Iterator[Path]:
    log_file = tmp_path / "var" / "log" / "stagemeld.log"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging(level, log_file)
    try:
        yield log_file
    finally:
        for handler in list(root.handlers):
            handler.close()
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
