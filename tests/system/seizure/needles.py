"""What the attacker searches every byte for, a hit where it was found, and the
receipt codes that lie about at rest."""

from __future__ import annotations

import re
from dataclasses import dataclass

RECEIPT_CANDIDATE = re.compile(rb"(?<!\d)\d{4}[ \-.]?\d{4}[ \-.]?\d{4}[ \-.]?\d{4}(?!\d)")


@dataclass(frozen=True)
class Needle:
    kind: str  # "marker", "receipt", "chat id", "report id", "reference"
    student: str
    pattern: re.Pattern[bytes]

    def search(self, data: bytes) -> bool:
        return self.pattern.search(data) is not None


def needle(kind: str, student: str, text: str) -> Needle:
    escaped = re.escape(text.encode())
    if kind in ("receipt", "chat id"):
        return Needle(kind, student, re.compile(rb"(?<!\d)" + escaped + rb"(?!\d)"))
    return Needle(kind, student, re.compile(escaped))


def receipt_needles(student: str, code: str) -> list[Needle]:
    grouped = " ".join(code[i : i + 4] for i in range(0, 16, 4))
    return [needle("receipt", student, code), needle("receipt", student, grouped)]


@dataclass(frozen=True)
class Hit:
    moment: str
    where: str  # file, or table/column and version
    how: str  # "raw bytes", or the decryptor chain
    needle: Needle

    def __str__(self) -> str:
        return (
            f"[{self.moment}] {self.needle.kind} of {self.needle.student} found in "
            f"{self.where} via {self.how}"
        )


def receipts_in(data: bytes) -> set[str]:
    return {re.sub(rb"\D", b"", m.group()).decode() for m in RECEIPT_CANDIDATE.finditer(data)}
