"""The matching keys: `<keys.dir>/matching/k<n>.key`, one 32-byte secret per file.

They key the hashes that let two reports naming the same company find each other
(`matching.MatchingKey`); they are not the server key and not the chat-hash key, so
neither a copy of the database nor one of them alone confirms a company name.

Rotation (docs/security.md, "Company patterns"): `rotate` adds a newer key, which hashes
every new report from then on. A new report is hashed under every key still kept, so it
still finds the reports hashed under an older one. `retire` removes an older key's file;
the caller deletes the hashes made with it in the same step (`patterns.retire_tags`):
from then on those reports match nothing new. The newest key is never retired.
Files are created 0600 with O_EXCL and fsynced with their directory, like the other
key files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from storage.crypto import aead, matching
from storage.crypto.files import fsync_dir

MATCHING = "matching"
_FILE = re.compile(r"^k([1-9][0-9]{0,5})\.key$")


class MatchingKeyError(Exception):
    """A key file is unreadable or the key named does not exist or is the newest."""


@dataclass(frozen=True)
class MatchingKeys:
    """Every kept key, newest last; `current` hashes what is stored for a new report."""

    dir: Path
    keys: tuple[matching.MatchingKey, ...]

    @property
    def current(self) -> matching.MatchingKey:
        return self.keys[-1]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.key_id for k in self.keys)

    def tags(self, kind: str, value: str) -> tuple[tuple[str, bytes], ...]:
        """(key id, hash) under every kept key: stored, so that an older report hashed
        under an older key still meets this one."""
        return tuple((k.key_id, k.tag(kind, value)) for k in self.keys)

    @classmethod
    def load(cls, keys_dir: Path, *, create: bool = True) -> MatchingKeys:
        """The kept keys; with `create`, the first one is made when there is none."""
        directory = Path(keys_dir) / MATCHING
        numbers = _numbers(directory)
        if not numbers:
            if not create:
                raise MatchingKeyError(f"no matching key in {directory}")
            _write_new(directory, 1)
            numbers = [1]
        return cls(directory, tuple(_read(directory, n) for n in numbers))

    def rotate(self) -> MatchingKeys:
        """A newer key, current from the next load on; older ones stay until retired."""
        newest = _numbers(self.dir)[-1]
        _write_new(self.dir, newest + 1)
        return MatchingKeys.load(self.dir.parent, create=False)

    def retire(self, key_id: str) -> MatchingKeys:
        """Shred an older key's file. Refuses the newest (new reports need one)."""
        match = _FILE.match(f"{key_id}.key")
        if match is None or key_id not in self.ids:
            raise MatchingKeyError(f"no matching key {key_id!r}; kept: {', '.join(self.ids)}")
        if key_id == self.current.key_id:
            raise MatchingKeyError(f"{key_id} is the newest key; rotate first")
        (self.dir / f"{key_id}.key").unlink()
        fsync_dir(self.dir)
        return MatchingKeys.load(self.dir.parent, create=False)


def _numbers(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    found = (_FILE.match(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in found if m is not None)


def _read(directory: Path, number: int) -> matching.MatchingKey:
    path = directory / f"k{number}.key"
    try:
        secret = path.read_bytes()
    except OSError as exc:
        raise MatchingKeyError(f"cannot read {path}: {exc}") from exc
    if len(secret) != aead.KEY_LEN:
        raise MatchingKeyError(f"{path} has the wrong length; restore it from the backup")
    return matching.MatchingKey(f"k{number}", secret)


def _write_new(directory: Path, number: int) -> None:
    """Create-only (O_EXCL), 0600 from the start, fsynced with its directory."""
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fsync_dir(directory.parent)
    path = directory / f"k{number}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(matching.new_matching_secret())
        f.flush()
        os.fsync(f.fileno())
    fsync_dir(directory)
