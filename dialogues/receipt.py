"""How a receipt code looks to a student: 16 digits, read and written in groups of four."""

from __future__ import annotations

DIGITS = 16
SEPARATORS = frozenset(" -.\t\u00a0")


def format_code(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(text: str) -> str | None:
    """Accepts "4821 0937 5521 8804", "4821-0937-…" or the bare digits; anything else is None."""
    digits = "".join(ch for ch in text.strip() if ch not in SEPARATORS)
    ok = len(digits) == DIGITS and digits.isascii() and digits.isdigit()
    return digits if ok else None
