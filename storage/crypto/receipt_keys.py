"""The student's receipt code: drawing it, and the two keys Argon2id derives from it.

The code is the student's only way back to their report. One Argon2id derivation gives
a lookup id (stored: finds the report) and a wrap key (never stored: opens the student's
copy of the report's data key); separate HKDF labels keep the one from revealing the
other.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from storage.crypto.aead import associated_data, seal, unseal
from storage.crypto.kdf import KdfParams, argon2id, expand
from vocabulary import RECEIPT_DIGITS


@dataclass(frozen=True)
class ReceiptKeys:
    lookup: bytes  # stored: finds the report
    wrap_key: bytes  # never stored: opens the student's copy of the data key


def generate_receipt() -> str:
    """16 digits (~53 bits) from `secrets`; leading zeros allowed."""
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def derive_receipt_keys(code: str, salt: bytes, params: KdfParams) -> ReceiptKeys:
    """Argon2id once, then HKDF-Expand into two independent keys.

    Blocking (~0.2 s with the default cost): call it from a thread. The lookup id is
    stored, so it must not reveal the wrap key: separate HKDF labels guarantee that.
    """
    master = argon2id(code.encode(), salt, params)
    return ReceiptKeys(
        lookup=expand(master, "receipt-lookup"), wrap_key=expand(master, "receipt-wrap")
    )


def wrap_data_key(data_key: bytes, wrap_key: bytes, *, report_id: str) -> bytes:
    return seal(wrap_key, data_key, associated_data("receipt-copy", report_id))


def unwrap_data_key(blob: bytes, wrap_key: bytes, *, report_id: str) -> bytes:
    return unseal(wrap_key, blob, associated_data("receipt-copy", report_id))
