"""The audit chain's head, anchored outside the database: `<keys.dir>/audit.head`.

Someone who can write the database but not keys.dir could otherwise delete the newest
audit entries and rewrite the `audit_head` row to match. After
every transaction that appended to the chain commits, its head — the newest seq and that
entry's MAC — is written here with a MAC under a server sub-key:

- atomically: a temporary file, fsync, rename over the old one, fsync of the directory,
  so a crash leaves the old anchor or the new one, never half of one;
- monotonically: an anchor never moves back to a lower seq (two commits finishing in the
  other order, or a second process on the same keys.dir); writers are serialised by a
  lock within the process and an advisory `flock` across processes;
- with the hour as its and keys.dir's modification time (`files.to_the_hour`);
- after the commit, never before: an anchor that lags (a crash between the commit and
  the write) only leaves the newest entries unanchored until the next append, while an
  anchor ahead of the database would report every rollback as a cut.

Limits (docs/security.md, "Write access to the database"): the anchor is as current as
the last commit this keys.dir saw; replicas on different machines each anchor only
their own appends, so a tail cut right after another replica's append is caught only by
the replica whose anchor covers it. After restoring the database from a backup the
anchor is *ahead* of it and verification reports the cut — which is true; the operator
moves the old `audit.head` aside once they have recorded the report.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.crypto.files import fsync_dir, read_quietly, to_the_hour
from storage.crypto.server_key import ServerKey, mac_matches

log = logging.getLogger(__name__)

GENESIS = bytes(32)
_PENDING = "stagemeld.audit_anchor"  # Session.info key: (server, seq, mac) to write
_LISTENING = "stagemeld.audit_anchor.listening"
_LOCK = threading.Lock()
# Reasons a comparison fails: the tail was cut or rewritten, or the anchor is unusable.
CUT, REWRITTEN, MISSING, BAD = "cut", "rewritten", "anchor_missing", "anchor_bad"
CUT_REASONS = frozenset({CUT, REWRITTEN, MISSING, BAD})


class AnchorBad(Exception):
    """The anchor file is unreadable or its MAC does not match."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    head: bytes  # the MAC of entry `seq`

    def short(self) -> str:
        return short_head(self.head)


def short_head(head: bytes) -> str:
    """The first 64 bits in four groups: short enough to write down or read aloud."""
    text = head[:8].hex()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@dataclass(frozen=True)
class AnchorCheck:
    """The chain's tail compared with the anchor. `head_seq`/`head` are the chain's own
    newest entry (what a coordinator writes down); `anchored_seq` the anchor's seq."""

    ok: bool
    reason: str  # "" | cut | rewritten | anchor_missing | anchor_bad
    head_seq: int
    head: bytes
    anchored_seq: int | None
    configured: bool = True  # False: this server key has no keys.dir (tests)

    def short(self) -> str:
        return short_head(self.head)


# --- writing ---------------------------------------------------------------------------


def after_commit(session: AsyncSession, server: ServerKey, seq: int, mac: bytes) -> None:
    """Anchor (seq, mac) once the session's transaction commits; forget it on rollback."""
    if server.audit_anchor is None:
        return
    sync = session.sync_session
    sync.info[_PENDING] = (server, seq, mac)  # the newest append of this transaction
    if not sync.info.get(_LISTENING):
        sync.info[_LISTENING] = True
        event.listen(sync, "after_commit", _committed)
        event.listen(sync, "after_rollback", _rolled_back)


def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    server, seq, mac = pending
    try:
        write(server, seq, mac)
    except (OSError, AnchorBad) as exc:
        # The entry is committed; failing the caller now would report a done action as
        # failed. The anchor lags instead (verification still passes up to it), loudly.
        log.error("audit anchor not written (%s): seq %d is not anchored", type(exc).__name__, seq)


def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def write(server: ServerKey, seq: int, mac: bytes) -> None:
    """Atomic, monotonic, serialised (see the module's docstring)."""
    path = server.audit_anchor
    if path is None:  # a server key without a keys.dir (tests of storage alone): no anchor
        return
    with _LOCK, _file_lock(path):
        current = read(server)  # AnchorBad: leave the evidence in place
        if current is not None and current.seq >= seq:
            return
        body = {"seq": seq, "head": mac.hex(), "mac": server.anchor_mac(seq, mac).hex()}
        data = json.dumps(body, sort_keys=True).encode() + b"\n"
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        # Its mtime and keys.dir's would give the newest append (a student's filing) to
        # the nanosecond: both back to the hour.
        to_the_hour(path, path.parent)
        fsync_dir(path.parent)


class _file_lock:
    """`flock` on `audit.head.lock`: two processes on one keys.dir (the service and a
    CLI command) never interleave a read-compare-write."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self.fd = -1

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: Any) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# --- reading and comparing ----------------------------------------------------------------


def read(server: ServerKey) -> Anchor | None:
    """The anchor, None if there is none yet; AnchorBad if it does not check out."""
    path = server.audit_anchor
    if path is None:
        return None
    try:
        raw = read_quietly(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorBad(f"cannot read {path.name}") from exc
    try:
        body = json.loads(raw)
        seq, head, mac = int(body["seq"]), bytes.fromhex(body["head"]), bytes.fromhex(body["mac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorBad(f"{path.name} is not an audit anchor") from exc
    if seq < 1 or not mac_matches(server.anchor_mac(seq, head), mac):
        raise AnchorBad(f"{path.name} fails its MAC")
    return Anchor(seq, head)


async def compare(
    server: ServerKey,
    newest_seq: int,
    newest_mac: bytes | None,
    mac_at: Callable[[int], Awaitable[bytes | None]],
) -> AnchorCheck:
    """The chain (its newest entry, and the MAC at any seq) against the anchor."""
    head = newest_mac if newest_mac is not None else GENESIS
    if server.audit_anchor is None:
        return AnchorCheck(True, "", newest_seq, head, None, configured=False)
    try:
        anchor = read(server)
    except AnchorBad:
        return AnchorCheck(False, BAD, newest_seq, head, None)
    if anchor is None:
        if newest_seq == 0:
            return AnchorCheck(True, "", 0, head, None)
        return AnchorCheck(False, MISSING, newest_seq, head, None)
    if newest_seq < anchor.seq:
        return AnchorCheck(False, CUT, newest_seq, head, anchor.seq)
    at = await mac_at(anchor.seq)
    if at is None:
        return AnchorCheck(False, CUT, newest_seq, head, anchor.seq)
    if at != anchor.head:
        return AnchorCheck(False, REWRITTEN, newest_seq, head, anchor.seq)
    return AnchorCheck(True, "", newest_seq, head, anchor.seq)
