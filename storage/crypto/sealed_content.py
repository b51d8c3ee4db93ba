"""A report's content under its data key: the fields filed, and the advisers' messages.

Each report has a fresh AES-256 key of its own, so one report's key opens nothing else.

Thread messages: a message's author, its `internal` flag, its event code and its scheme
are plaintext columns the readers act on (the student's view leaves internal notes out).
They are bound into the associated data (`binding`): a row whose flags were changed in
the database no longer opens. The label differs from `field`, so a message sealed this
way can never be opened under the older rules (a scheme downgrade fails too). Always
padded: this scheme is newer than padding, so there is no unpadded form to read.
"""

from __future__ import annotations

from storage.crypto.aead import associated_data, new_key, seal, unseal
from storage.crypto.padding import open_padded, pad, seal_padded, unpad


def new_data_key() -> bytes:
    """A fresh AES-256 key per report, so one report's key opens nothing else."""
    return new_key()


def encrypt_field(key: bytes, plaintext: bytes, *, report_id: str, field: str) -> bytes:
    """nonce (12) || AES-256-GCM(padded plaintext || tag); AAD binds version, report
    and field (and says the plaintext is padded)."""
    return seal_padded(key, plaintext, "field", report_id, field)


def decrypt_field(key: bytes, blob: bytes, *, report_id: str, field: str) -> bytes:
    return open_padded(key, blob, "field", report_id, field)


def encrypt_message(
    key: bytes, plaintext: bytes, *, report_id: str, message_id: str, binding: tuple[str, ...]
) -> bytes:
    return seal(key, pad(plaintext), associated_data("message", report_id, message_id, *binding))


def decrypt_message(
    key: bytes, blob: bytes, *, report_id: str, message_id: str, binding: tuple[str, ...]
) -> bytes:
    return unpad(unseal(key, blob, associated_data("message", report_id, message_id, *binding)))
