"""The server's own key: it keys the chat hash, the audit chain, the public-key
bindings and the enrolment links, and seals the small secrets the server reads back
itself; it opens no report.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

from storage.crypto.aead import KEY_LEN, associated_data, new_key
from storage.crypto.kdf import subkey
from storage.crypto.padding import open_padded, seal_padded


def new_server_secret() -> bytes:
    """The server's own secret (`ServerKey`), made once by `stagemeld keys init`."""
    return new_key()


class ServerKey:
    """The server's secret. It keys the chat hash and encrypts drafts; it opens no report.

    Each use gets its own HKDF sub-key, so a flaw in one use cannot leak another's key.
    `audit_anchor` is where the audit chain's head is anchored outside the database
    (`<keys.dir>/audit.head`, set by `KeyStore.load`); None for a key made without a
    key directory (some tests), which then anchors nothing.
    """

    def __init__(self, secret: bytes, *, audit_anchor: Path | None = None) -> None:
        if len(secret) != KEY_LEN:
            raise ValueError("the server key must be 32 bytes")
        self._chat = subkey(secret, "chat-hash")
        self._value = subkey(secret, "stored-value")
        self._audit = subkey(secret, "audit-chain")
        self._binding = subkey(secret, "public-key-binding")
        self._anchor = subkey(secret, "audit-anchor")
        self._enrolment = subkey(secret, "enrolment-link")
        self._proof = subkey(secret, "stored-proof")
        self.audit_anchor = audit_anchor

    def chat_key(self, channel: str, chat_id: str) -> str:
        """HMAC-SHA256 hex of (channel, chat id): stable, but useless without the key."""
        return hmac.new(self._chat, associated_data(channel, chat_id), hashlib.sha256).hexdigest()

    def seal_value(self, plaintext: bytes, *, purpose: str) -> bytes:
        """For small secrets the server must read back itself (e.g. a TOTP secret)."""
        return seal_padded(self._value, plaintext, "value", purpose)

    def open_value(self, blob: bytes, *, purpose: str) -> bytes:
        return open_padded(self._value, blob, "value", purpose)

    def audit_mac(self, previous: bytes, entry: bytes) -> bytes:
        """One link of the audit chain: keyed, so only the server can extend it."""
        data = associated_data("audit", previous, entry)
        return hmac.new(self._audit, data, hashlib.sha256).digest()

    def adviser_key_mac(self, adviser_id: str, org_id: str, public_key: bytes) -> bytes:
        """Binds an adviser's public key to them and their organization: a key swapped in
        the database (by someone without keys.dir) no longer checks out, so nothing is
        ever sealed to it."""
        data = associated_data("adviser-public-key", adviser_id, org_id, public_key)
        return hmac.new(self._binding, data, hashlib.sha256).digest()

    def report_key_mac(self, report_id: str, public_key: bytes) -> bytes:
        """Binds a report's own public key (what the student's answers are sealed to)."""
        data = associated_data("report-public-key", report_id, public_key)
        return hmac.new(self._binding, data, hashlib.sha256).digest()

    def enrolment_mac(
        self, token_hash: bytes, adviser_id: str, expires_at: datetime, reenrol: bool
    ) -> bytes:
        """Binds a one-time enrolment link's row to whom it enrols, until when, and whether
        the operator approved a new key pair for an adviser who held one before: a row
        written in the database (by someone without keys.dir) enrols nobody."""
        kind = "reenrol" if reenrol else "first"
        moment = expires_at.astimezone(UTC).isoformat()
        data = associated_data("enrolment-link", token_hash, adviser_id, moment, kind)
        return hmac.new(self._enrolment, data, hashlib.sha256).digest()

    def proof_mac(self, kind: str, scope: str, *parts: str | bytes) -> bytes:
        """Proof that the service itself wrote a row (a thread entry, a file, a consent):
        keyed, so a database writer can neither forge one nor move it to another report
        or item. `scope`: the report (an evaluation: its own id); what `parts` covers is
        fixed per kind by `storage.crypto.proofs`."""
        data = associated_data("stored-proof", kind, scope, *parts)
        return hmac.new(self._proof, data, hashlib.sha256).digest()

    def anchor_mac(self, seq: int, head: bytes) -> bytes:
        """The audit chain's head as anchored in keys.dir: (seq, newest entry's MAC)."""
        data = associated_data("audit-anchor", str(seq), head)
        return hmac.new(self._anchor, data, hashlib.sha256).digest()


def mac_matches(expected: bytes, stored: bytes | None) -> bool:
    """Constant-time; a missing MAC never matches."""
    return stored is not None and hmac.compare_digest(expected, stored)
