"""The service's own files are its own: 0600 files in 0700 directories.

The database with its `-wal` and `-shm`, the log and keys.dir hold what only the service
may read (hour-rounded times, hashes, sealed blobs: still the shape of every report).
`stagemeld` sets a umask of 077 at start; these helpers make the same hold for whoever
builds the pieces in-process, whatever the umask: every directory they create (each
missing parent too) is 0700, every file 0600, and an existing file is narrowed to 0600.
Directories that already exist are left as the operator made them.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path


def private_dir(directory: Path) -> None:
    """`directory` and every missing parent, created 0700 (the umask cannot widen it)."""
    missing: list[Path] = []
    at = directory
    while not at.exists():
        missing.append(at)
        at = at.parent
    for path in reversed(missing):
        with suppress(FileExistsError):
            path.mkdir(mode=0o700)
        os.chmod(path, 0o700)


def private_file(path: Path, *companions: str) -> None:
    """`path` exists and is 0600 (its directory made as `private_dir`), and so is each
    companion file beside it that exists (`path` + suffix: SQLite's "-wal", "-shm")."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in companions)):
        with suppress(FileNotFoundError):
            os.chmod(file, 0o600)
