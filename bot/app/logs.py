"""Logging that never carries report content or chat ids.

Our own log calls only ever pass references, ids of advisers and type names. Exception
*messages* can echo data (a driver quoting a parameter, a KeyError quoting a key), so
tracebacks are written with the exception's type but without its message.

The log file is the operator's alone: created 0600 in a directory made 0700 (an existing
file is narrowed to 0600). Students' acts are not lines of their own but counts per
hour (`bot.intake.student_log`): a line's exact time would date the act.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from storage.db.private_files import private_file

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class RedactingFormatter(logging.Formatter):
    def formatException(self, ei: ExcInfo) -> str:
        exc_type, _, tb = ei
        frames = "".join(traceback.format_tb(tb))
        name = exc_type.__name__ if exc_type else "Exception"
        return f"Traceback (most recent call last):\n{frames}{name}: <message withheld>"


def setup_logging(level: str, file: Path | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if file is not None:
        private_file(file)  # 0600 before the handler opens it for appending
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    formatter = RedactingFormatter(FORMAT)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    # aiogram's per-update INFO lines are noise at our scale; warnings still come through.
    # Likewise alembic's plugin registry and migration steps, and uvicorn's start-up
    # lines: the log's first lines must say how to reach us.
    for noisy in (
        "aiogram.event",
        "alembic.runtime.plugins",
        "alembic.runtime.migration",
        "uvicorn.error",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
