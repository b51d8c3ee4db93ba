"""One shreddable key file per live conversation: `<keys.dir>/drafts/<chat hash>`.

A draft is sealed with a key derived from its conversation's file and the chat id
(`sealed_drafts.draft_key`). Ending the conversation (filing, /stop, erase, expiry) deletes its
row and then unlinks the file, so every older version of that row — in SQLite's WAL, in
PostgreSQL's dead tuples, in a backup — is sealed with a key that no longer exists.

Files are created 0600, written whole under a temporary name and linked in place
(never replacing one), and fsynced with their directory, so a crash never
leaves a draft whose key did not reach the disk. The file's and the directory's times
are set back to the hour after each change, and reads leave the access time alone
(`files.to_the_hour`, `files.read_quietly`): they would date a conversation's start
and end. Reads go through a small in-memory
cache, checked against the file's identity (inode and change time, one `stat`) at every
use: another replica on the same keys.dir may have ended the conversation (unlinked)
or begun a new one for the chat (a new file, a new key) since this process cached it.
`sweep` unlinks the files of conversations that are gone (a crash between the commit
and the unlink leaves one until the next start or housekeeping run).
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from storage.crypto import aead, sealed_drafts
from storage.crypto.files import fsync_dir, read_quietly, to_the_hour

DRAFTS = "drafts"
CACHE_SIZE = 1024
_NAME = re.compile(r"^[0-9a-f]{64}$")  # a chat hash: HMAC-SHA256 hex


class DraftKeys:
    def __init__(self, keys_dir: Path, cache_size: int = CACHE_SIZE) -> None:
        self.dir = Path(keys_dir) / DRAFTS
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[tuple[int, int], bytes]] = OrderedDict()

    def _path(self, chat_key: str) -> Path:
        if not _NAME.match(chat_key):
            raise ValueError("a draft key file is named by a chat hash")
        return self.dir / chat_key

    def secret(self, chat_key: str) -> bytes | None:
        """The conversation's secret, or None when it has no file (ended, or never began)."""
        path = self._path(chat_key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._cache.pop(chat_key, None)
            return None
        identity = (stat.st_ino, stat.st_ctime_ns)
        cached = self._cache.get(chat_key)
        if cached is not None and cached[0] == identity:
            self._cache.move_to_end(chat_key)
            return cached[1]
        try:
            data = read_quietly(path)
        except FileNotFoundError:
            return None
        if len(data) != aead.KEY_LEN:
            return None
        self._remember(chat_key, identity, data)
        return data

    def create(self, chat_key: str) -> bytes:
        """The existing secret, or a new one written to disk (durably) before it is used."""
        found = self.secret(chat_key)
        if found is not None:
            return found
        self._ensure_dir()
        data = sealed_drafts.new_draft_secret()
        path = self._path(chat_key)
        # Written whole to a temporary name, then linked in place (fails if taken): a
        # crash never leaves a short file under the chat's name.
        temp = self.dir / f".{chat_key}.{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:  # written meanwhile: use that one
            again = self.secret(chat_key)
            if again is None:
                raise
            return again
        finally:
            temp.unlink(missing_ok=True)
            to_the_hour(self.dir)  # the temporary name came and went, linked or not
        to_the_hour(path)
        self._fsync_dir()
        stat = path.stat()  # after the utime: it changed the change time
        self._remember(chat_key, (stat.st_ino, stat.st_ctime_ns), data)
        return data

    def forget(self, chat_key: str) -> None:
        """Shred: unlink the file (and drop the cached copy); a missing file is fine."""
        self._cache.pop(chat_key, None)
        try:
            self._path(chat_key).unlink()
        except FileNotFoundError:
            return
        self._fsync_dir()

    def sweep(self, live_chat_keys: Iterable[str], *, min_age: float = 0.0) -> int:
        """Unlink every file whose conversation is not live; returns how many.

        `min_age` (seconds) spares files written just now: a conversation's file is
        written before its first row, so a sweep while the service runs must not take
        a file whose row is about to be inserted."""
        live = set(live_chat_keys)
        if not self.dir.is_dir():
            return 0
        now = time.time()
        gone = [
            p.name for p in self.dir.iterdir() if p.name not in live and now - _made(p) >= min_age
        ]
        for name in gone:
            self._cache.pop(name, None)
            (self.dir / name).unlink(missing_ok=True)
        if gone:
            self._fsync_dir()
        else:
            to_the_hour(self.dir)  # the listing set its access time
        return len(gone)

    def _remember(self, chat_key: str, identity: tuple[int, int], data: bytes) -> None:
        self._cache[chat_key] = (identity, data)
        self._cache.move_to_end(chat_key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _ensure_dir(self) -> None:
        if not self.dir.is_dir():
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            to_the_hour(self.dir.parent)
            fsync_dir(self.dir.parent)

    def _fsync_dir(self) -> None:
        # Every create or unlink changed the directory's mtime: back to the hour.
        to_the_hour(self.dir)
        fsync_dir(self.dir)


def _made(path: Path) -> float:
    """When the file was written: its change time, which the kernel sets (the mtime is
    set back to the hour, so it would make a file written just now look an hour old)."""
    try:
        return path.stat().st_ctime
    except FileNotFoundError:
        return 0.0
