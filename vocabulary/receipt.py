"""How a receipt code looks: 16 digits, read and written in groups of four.

The student is shown it formatted (dialogues) and types it back in any of several ways;
storage derives the report's keys from the normalised digits. Both use these two
functions, so what the student is told to type is exactly what opens the report.
"""

from __future__ import annotations

RECEIPT_DIGITS = 16
RECEIPT_SEPARATORS = frozenset(" -.\t\u00a0")


def format_receipt(code: str) -> str:
    """ "4821093755218804" -> "4821 0937 5521 8804"."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_receipt(text: str) -> str | None:
    """Accepts "4821 0937 5521 8804", "4821-0937-…" or the bare digits; anything else is
    None. Only ASCII digits count (no Arabic-Indic or full-width look-alikes)."""
    digits = "".join(ch for ch in text.strip() if ch not in RECEIPT_SEPARATORS)
    ok = len(digits) == RECEIPT_DIGITS and digits.isascii() and digits.isdigit()
    return digits if ok else None
