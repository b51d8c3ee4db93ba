"""The attacker's tools: every key in a copied keys.dir, every decryptor the project's
code offers, and a search of every byte for what must not be found. This module opens
everything: every value and what comes out of it, and a report by a receipt found at rest.

Plaintexts are searched and fed back to every decryptor (tokens inside a state, e.g. a
reply token), up to `MAX_DEPTH` levels. The keys are in keyring.py, the decryptors in
decryptors.py, what is searched for in needles.py.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from storage.crypto import aead, receipt_keys, sealed_content
from tests.system.seizure.decryptors import DECRYPTORS, MIN_BLOB, Context, Opened
from tests.system.seizure.keyring import Keyring

MAX_DEPTH = 3
B64_TOKEN = re.compile(rb"[A-Za-z0-9_\-+/]{40,}={0,2}")


# --- opening everything --------------------------------------------------------------


@dataclass
class Opener:
    """Runs every decryptor on a value and on what comes out, with a cache (the same
    blob appears in many versions and copies)."""

    keys: Keyring
    cache: dict[tuple[bytes, tuple[str, ...]], list[Opened]] = field(default_factory=dict)

    def open(self, blob: bytes, hints: tuple[str, ...] = (), depth: int = 0) -> list[Opened]:
        if len(blob) < MIN_BLOB or depth >= MAX_DEPTH:
            return []
        cache_key = (blob, hints)
        if cache_key in self.cache:
            return self.cache[cache_key]
        self.cache[cache_key] = []  # no loops
        out: list[Opened] = []
        ctx = Context(self.keys, hints)
        for decryptor in DECRYPTORS:  # the first that opens it is enough
            for opened in decryptor(blob, ctx):
                out.append(opened)
                for inner_blob in embedded_blobs(opened.plaintext):
                    for inner in self.open(inner_blob, hints, depth + 1):
                        out.append(Opened(f"{opened.how} -> {inner.how}", inner.plaintext))
            if out:
                break
        self.cache[cache_key] = out
        return out


def embedded_blobs(plain: bytes) -> Iterator[bytes]:
    """Base64 tokens inside a plaintext (a reply token in a JSON state, ...)."""
    for match in B64_TOKEN.finditer(plain):
        token = match.group().rstrip(b"=")
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                yield decode(token + b"=" * (-len(token) % 4))
            except (binascii.Error, ValueError):
                continue


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if value is None:
        return b""
    return str(value).encode()


def blob_values(value: Any) -> Iterator[bytes]:
    """What of a column value could be a ciphertext: the bytes, and base64 in text."""
    raw = as_bytes(value)
    if isinstance(value, bytes | bytearray | memoryview):
        yield raw
    yield from embedded_blobs(raw)


def hints_of(row: Iterable[Any]) -> tuple[str, ...]:
    return tuple(
        sorted({v for v in row if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)})
    )


def open_reports_with_receipt(
    receipt: str, keys: Keyring, reports: list[dict[str, Any]], fields: list[dict[str, Any]]
) -> Iterator[tuple[str, bytes]]:
    """Server key copy + a receipt found at rest = the report's content: no receipt may
    rest on disk."""
    if keys.store is None:
        return
    derived = receipt_keys.derive_receipt_keys(receipt, keys.store.receipt_salt, keys.store.kdf)
    for report in reports:
        if as_bytes(report.get("receipt_lookup")) != derived.lookup:
            continue
        try:
            data_key = receipt_keys.unwrap_data_key(
                as_bytes(report["receipt_wrapped_key"]), derived.wrap_key, report_id=report["id"]
            )
        except aead.CryptoError:
            continue
        for row in fields:
            if row.get("report_id") != report["id"]:
                continue
            try:
                yield (
                    row["field"],
                    sealed_content.decrypt_field(
                        data_key,
                        as_bytes(row["ciphertext"]),
                        report_id=report["id"],
                        field=row["field"],
                    ),
                )
            except aead.CryptoError:
                continue


def json_or_text(plain: bytes) -> str:
    try:
        return json.dumps(json.loads(plain))[:200]
    except ValueError:
        return plain[:200].decode("utf-8", "replace")
