"""Durable steps on files outside the database (keys.dir): one place that knows them.

A rename or an unlink is only durable once its directory is flushed too; the key files
and the audit anchor depend on that after a power cut, so both use this helper.

A file's times are evidence too: the mtime of `drafts/` or `audit.head` would give the
last filing to the nanosecond. After every write, create or unlink in keys.dir the file
and its directory get the hour as their access and modification time (`to_the_hour`),
the precision of every time a student causes (docs/security.md, "Less to see"). The
inode's change and birth times cannot be set by any process: they are a residual risk.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

HOUR_NS = 3600 * 1_000_000_000
# Reads of key files leave their access time alone (Linux, for the file's owner).
NOATIME = getattr(os, "O_NOATIME", 0)


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (a created, renamed or removed file) to the disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def to_the_hour(*paths: Path) -> None:
    """Set each path's access and modification time to the current hour, cut down; a
    path gone meanwhile (another replica unlinked it) is skipped."""
    hour = time.time_ns() // HOUR_NS * HOUR_NS
    for path in paths:
        try:
            os.utime(path, ns=(hour, hour))
        except FileNotFoundError:
            continue


def read_quietly(path: Path) -> bytes:
    """The file's bytes, read without updating its access time where the system allows."""
    try:
        fd = os.open(path, os.O_RDONLY | NOATIME)
    except PermissionError:  # O_NOATIME is only for the file's owner
        fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as f:
        return f.read()
