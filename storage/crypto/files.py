"""Durable steps on files outside the database (keys.dir): one place that knows them.

A rename or an unlink is only durable once its directory is flushed too; the key files
and the audit anchor depend on that after a power cut, so both use this helper.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (a created, renamed or removed file) to the disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
