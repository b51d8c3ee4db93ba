"""One copy of the disk, attacked: what can be read, and what links a chat to a report.

`Findings` holds every hit (a needle found, and how) and every link; the tests decide
which are forbidden at that moment (the issue's "What must hold").
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.system.seizure import pg_versions, sqlite_versions
from tests.system.seizure.attacker import (
    Opener,
    as_bytes,
    blob_values,
    hints_of,
    json_or_text,
    open_reports_with_receipt,
)
from tests.system.seizure.keyring import Keyring
from tests.system.seizure.needles import Hit, Needle, receipts_in

DB_NAME = "stagemeld.db"


@dataclass(frozen=True)
class Subject:
    """A student who filed, as the test (not the attacker) knows them."""

    student: str
    chat_hash: str
    report_id: str
    quiet: bool  # no input since filing: any later row naming the chat is a link


@dataclass
class Findings:
    moment: str
    hits: list[Hit] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    readable_drafts: list[str] = field(default_factory=list)


# Copies with the same keys.dir share what was opened (the same blobs recur in every copy).
_OPENERS: dict[bytes, Opener] = {}


def _opener(keys: Keyring) -> Opener:
    digest = hashlib.sha256()
    for name, data in sorted(keys.files.items()):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return _OPENERS.setdefault(digest.digest(), Opener(keys))


class Scanner:
    def __init__(self, moment: str, keys: Keyring, needles: list[Needle]) -> None:
        self.found = Findings(moment)
        self.keys = keys
        self.opener = _opener(keys)
        self.needles = needles
        self.receipts: set[str] = set()
        self.seen: set[tuple[str, bytes]] = set()

    def _hit(self, where: str, how: str, data: bytes) -> None:
        for n in self.needles:
            if n.search(data):
                self.found.hits.append(Hit(self.found.moment, where, how, n))

    def raw_files(self, root: Path) -> None:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            self._hit(str(path.relative_to(root)), "raw bytes", data)
            self.receipts |= receipts_in(data)

    def raw(self, where: str, data: bytes) -> None:
        self._hit(where, "raw bytes", data)
        self.receipts |= receipts_in(data)

    def row(self, where: str, row: Iterable[Any], columns: Iterable[str] | None = None) -> None:
        values = list(row)
        names = list(columns) if columns is not None else [f"#{i}" for i in range(len(values))]
        hints = hints_of(values)
        for name, value in zip(names, values, strict=True):
            raw = as_bytes(value)
            key = (where.split(" @ ")[0] + "." + name, raw)
            if key in self.seen:
                continue
            self.seen.add(key)
            self._hit(f"{where} column {name}", "plain value", raw)
            for blob in blob_values(value):
                for opened in self.opener.open(blob, hints):
                    self.found.stats["decrypted"] = self.found.stats.get("decrypted", 0) + 1
                    self._hit(f"{where} column {name}", opened.how, opened.plaintext)
                    self.receipts |= receipts_in(opened.plaintext)
                    if "open_state" in opened.how or "draft key" in opened.how:
                        self.found.readable_drafts.append(
                            f"{where}: {opened.how}: {json_or_text(opened.plaintext)[:80]}"
                        )

    def with_receipts(self, reports: list[dict[str, Any]], fields: list[dict[str, Any]]) -> None:
        """Every receipt-looking number found anywhere, tried against the reports."""
        for receipt in sorted(self.receipts):
            for name, plain in open_reports_with_receipt(receipt, self.keys, reports, fields):
                self._hit(f"report_fields.{name}", f"receipt {receipt} found at rest", plain)


# --- SQLite ---------------------------------------------------------------------------


def copy_sqlite(var: Path, destination: Path) -> None:
    """What a thief copies: the database files as they are on disk, and keys.dir."""
    for path in var.glob(DB_NAME + "*"):
        shutil.copy2(path, destination / path.name)
    shutil.copytree(var / "keys", destination / "keys")


def attack_sqlite(
    moment: str, copy: Path, needles: list[Needle], subjects: list[Subject], chat_range: range
) -> Findings:
    keys = Keyring.load(copy / "keys", chat_range)
    scan = Scanner(moment, keys, needles)
    scan.raw_files(copy)
    db = copy / DB_NAME
    scratch = copy.parent / f".scratch-{copy.name}"
    ordered: list[sqlite_versions.Version] = []
    for version in sqlite_versions.versions(db, scratch):
        ordered.append(version)
        for table, rows in version.tables.items():
            for row in rows:
                scan.row(f"{table} @ {version.label}", row.values(), row.keys())
    shutil.rmtree(scratch, ignore_errors=True)
    carved = 0
    for record in sqlite_versions.carve(db):
        carved += 1
        scan.row(f"carved {record.where}", record.values)
    last = ordered[-1].tables if ordered else {}
    every_report = [r for v in ordered for r in v.tables.get("reports", [])]
    every_field = [r for v in ordered for r in v.tables.get("report_fields", [])]
    scan.with_receipts(every_report or last.get("reports", []), every_field)
    scan.found.stats.update(versions=len(ordered), carved=carved)
    scan.found.links = sqlite_links(moment, ordered, subjects)
    return scan.found


def sqlite_links(
    moment: str, ordered: list[sqlite_versions.Version], subjects: list[Subject]
) -> list[str]:
    """A row naming a filer's chat hash in the version that holds the filing commit, or
    (for a filer who said nothing since) in any later version."""
    links = []
    for s in subjects:
        present = [
            v
            for v in ordered
            if any(r.get("id") == s.report_id for r in v.tables.get("reports", []))
        ]
        for i, version in enumerate(present):
            if i > 0 and not s.quiet:
                break
            for table, rows in version.tables.items():
                for row in rows:
                    if s.chat_hash in row.values():
                        links.append(
                            f"[{moment}] {table} @ {version.label}: a row under the chat hash of "
                            f"{s.student} (chat id brute-forced) exists while report "
                            f"{s.report_id} is on disk: {_plain(row)}"
                        )
    return links


def _plain(row: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v}" for k, v in row.items() if not isinstance(v, bytes | bytearray | memoryview)
    )


# --- PostgreSQL -----------------------------------------------------------------------


def save_pg(destination: Path, tuples: Any, pages: Any) -> None:
    (destination / "pages.pickle").write_bytes(pickle.dumps((tuples, pages)))


def attack_pg(
    moment: str, copy: Path, needles: list[Needle], subjects: list[Subject], chat_range: range
) -> Findings:
    keys = Keyring.load(copy / "keys", chat_range)
    scan = Scanner(moment, keys, needles)
    scan.raw_files(copy / "keys")
    tuples: list[pg_versions.TupleVersion]
    pages: list[pg_versions.PageDump]
    tuples, pages = pickle.loads((copy / "pages.pickle").read_bytes())
    for page in pages:
        scan.raw(f"{page.relation} block {page.block}", page.raw)
    for t in tuples:
        where = f"{t.table} @ tuple ({t.block},{t.lp}) xmin {t.xmin} xmax {t.xmax}"
        scan.row(where, t.row.values(), t.row.keys())
    reports = [t.row for t in tuples if t.table == "reports"]
    fields = [t.row for t in tuples if t.table == "report_fields"]
    scan.with_receipts(reports, fields)
    scan.found.stats.update(tuples=len(tuples), pages=len(pages))
    scan.found.links = pg_links(moment, tuples, subjects)
    return scan.found


def pg_links(
    moment: str, tuples: list[pg_versions.TupleVersion], subjects: list[Subject]
) -> list[str]:
    """A tuple version naming a filer's chat hash that was alive when the filing
    transaction committed, or (for a filer who said nothing since) written after it."""
    links = []
    for s in subjects:
        filing = [t.xmin for t in tuples if t.table == "reports" and t.row.get("id") == s.report_id]
        if not filing:
            continue
        fx = min(filing)
        for t in tuples:
            if s.chat_hash not in t.row.values():
                continue
            alive = t.xmin <= fx and (t.xmax == 0 or t.xmax > fx)
            later = t.xmin > fx
            if alive or (s.quiet and later):
                links.append(
                    f"[{moment}] {t.table} tuple xmin {t.xmin} xmax {t.xmax} (filing xid {fx}): "
                    f"a row under the chat hash of {s.student} (chat id brute-forced) "
                    f"{'alive at' if alive else 'written after'} the filing of {s.report_id}: "
                    f"{_plain(t.row)}"
                )
    return links
