"""Every historical version an SQLite copy still holds.

Two views, both from the copied files only:
- `versions`: the main file as is, then, for the WAL, every prefix that ends at a commit
  frame (the database as it was after each transaction still in the WAL), opened with
  sqlite3 from a temporary copy; gives ordered snapshots of whole tables;
- `carve`: every b-tree leaf cell of every page in the main file and in *every* WAL frame,
  whatever its salt (frames of an older WAL generation that SQLite itself would no longer
  replay still hold old pages), parsed by hand; gives unordered records.

WAL format (https://www.sqlite.org/fileformat.html#the_write_ahead_log): a 32-byte
header (magic, version, page size, checkpoint seq, salt-1, salt-2, checksums), then frames
of a 24-byte header (page number, database size after commit — non-zero on the frame that
ends a transaction —, salt-1, salt-2, checksums) followed by one page.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WAL_HEADER = 32
FRAME_HEADER = 24


@dataclass(frozen=True)
class Frame:
    index: int
    offset: int  # of the page data in the WAL file
    page_no: int
    commit_size: int  # non-zero: this frame ends a transaction
    salt: tuple[int, int]


@dataclass(frozen=True)
class Wal:
    page_size: int
    salt: tuple[int, int]
    frames: list[Frame]

    def current(self) -> list[Frame]:
        """The frames SQLite would replay: the leading run with the header's salt."""
        out = []
        for frame in self.frames:
            if frame.salt != self.salt:
                break
            out.append(frame)
        return out


def read_wal(data: bytes) -> Wal | None:
    if len(data) < WAL_HEADER:
        return None
    magic, _version, page_size, _seq, s1, s2 = struct.unpack(">IIIIII", data[:24])
    if magic not in (0x377F0682, 0x377F0683) or page_size < 512:
        return None
    frames: list[Any] = []
    offset = WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        page_no, commit, f1, f2 = struct.unpack(">IIII", data[offset : offset + 16])
        if page_no == 0:
            break
        frames.append(Frame(len(frames), offset + FRAME_HEADER, page_no, commit, (f1, f2)))
        offset += FRAME_HEADER + page_size
    return Wal(page_size, (s1, s2), frames)


Rows = dict[str, list[dict[str, Any]]]  # table -> rows (column -> value)


@dataclass
class Version:
    label: str  # "main file" or "WAL prefix to frame N"
    order: int  # 0 = main file; then increasing with the WAL's commits
    tables: Rows


def dump(db: Path) -> Rows:
    conn = sqlite3.connect(db)
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not r[0].startswith("sqlite_")
        ]
        out: Rows = {}
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            out[table] = [dict(zip(names, row, strict=True)) for row in cursor]
        return out
    finally:
        conn.close()


# Copies taken one after another share their WAL's beginning: a version already read (same
# main file, same WAL prefix) is not opened again.
_DUMPS: dict[bytes, Rows] = {}


def versions(db: Path, scratch: Path) -> Iterator[Version]:
    """The main file alone, then main file + each committed WAL prefix."""
    scratch.mkdir(parents=True, exist_ok=True)
    main = scratch / "main-only.db"
    shutil.copyfile(db, main)
    yield Version("main file", 0, dump(main))
    wal_path = db.with_name(db.name + "-wal")
    if not wal_path.exists():
        return
    data = wal_path.read_bytes()
    wal = read_wal(data)
    if wal is None:
        return
    main_digest = hashlib.sha256(db.read_bytes())
    for frame in wal.current():
        if not frame.commit_size:
            continue
        end = frame.offset + wal.page_size
        digest = main_digest.copy()
        digest.update(data[:end])
        known = _DUMPS.get(digest.digest())
        if known is not None:
            yield Version(f"WAL prefix to frame {frame.index}", frame.index + 1, known)
            continue
        target = scratch / f"v{frame.index}.db"
        shutil.copyfile(db, target)
        target.with_name(target.name + "-wal").write_bytes(data[:end])
        try:
            rows = dump(target)
        except sqlite3.DatabaseError:
            continue
        finally:
            for p in scratch.glob(f"v{frame.index}.db*"):
                p.unlink()
        _DUMPS[digest.digest()] = rows
        yield Version(f"WAL prefix to frame {frame.index}", frame.index + 1, rows)


# --- carving ---------------------------------------------------------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = buf[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos + i + 1
    raise ValueError("varint")


def _record(payload: bytes) -> list[Any]:
    header_len, pos = _varint(payload, 0)
    types = []
    while pos < header_len:
        serial, pos = _varint(payload, pos)
        types.append(serial)
    values: list[Any] = []
    body = header_len
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 8}
    for serial in types:
        if serial in (0, 8, 9):
            values.append(None if serial == 0 else serial - 8)
        elif serial in sizes:
            n = sizes[serial]
            raw = payload[body : body + n]
            if serial == 7:
                values.append(struct.unpack(">d", raw)[0])
            else:
                values.append(int.from_bytes(raw, "big", signed=True))
            body += n
        elif serial >= 12:
            n = (serial - 12) // 2
            raw = payload[body : body + n]
            values.append(raw if serial % 2 == 0 else raw.decode("utf-8", "replace"))
            body += n
        else:
            raise ValueError("serial type")
    return values


def leaf_records(page: bytes, page_size: int, first: bool = False) -> Iterator[list[Any]]:
    """Rows of a table b-tree leaf page (type 13); overflowing payloads are cut short."""
    base = 100 if first else 0
    if len(page) < base + 8 or page[base] != 0x0D:
        return
    cells = struct.unpack(">H", page[base + 3 : base + 5])[0]
    usable = page_size
    for i in range(cells):
        try:
            (ptr,) = struct.unpack(">H", page[base + 8 + 2 * i : base + 10 + 2 * i])
            size, pos = _varint(page, ptr)
            _rowid, pos = _varint(page, pos)
            local = size if size <= usable - 35 else min(size, usable - 35)
            yield _record(page[pos : pos + local])
        except (ValueError, IndexError, struct.error):
            continue


@dataclass
class Carved:
    where: str
    values: list[Any]


def carve(db: Path) -> Iterator[Carved]:
    """Every leaf cell of every page in the main file and every WAL frame."""
    data = db.read_bytes()
    page_size = struct.unpack(">H", data[16:18])[0] if len(data) >= 100 else 4096
    page_size = 65536 if page_size == 1 else page_size
    for n in range(len(data) // page_size):
        page = data[n * page_size : (n + 1) * page_size]
        for values in leaf_records(page, page_size, first=n == 0):
            yield Carved(f"{db.name} page {n + 1}", values)
    wal_path = db.with_name(db.name + "-wal")
    if not wal_path.exists():
        return
    wal_data = wal_path.read_bytes()
    wal = read_wal(wal_data)
    if wal is None:
        return
    for frame in wal.frames:
        page = wal_data[frame.offset : frame.offset + wal.page_size]
        for values in leaf_records(page, wal.page_size, first=frame.page_no == 1):
            yield Carved(f"{wal_path.name} frame {frame.index} (page {frame.page_no})", values)
