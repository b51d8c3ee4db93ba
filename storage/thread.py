"""How a report's thread is sealed: one convention for the console and the student side.

Adviser messages and notes: AES-GCM under the report's data key, field name
`message/<id>` in the associated data (the student opens them with the data key their
receipt unwraps). Student messages: HPKE-sealed to the report's public key with the
message id as purpose. Attachments: HPKE-sealed likewise with the attachment id as
purpose, holding a 4-byte length, a small JSON header (name, kind) and the bytes.
Everything is padded before sealing (`crypto.pad`): texts to fixed buckets, files to
the next power of two (at least 64 KiB), so sizes say little about what was written.
The console (`storage.cases`) and the student's side (`storage.student`) both use these.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage import crypto
from storage.models import Message

_LENGTH = 4


def new_id() -> str:
    return uuid.uuid4().hex


def message_field(message_id: str) -> str:
    return f"message/{message_id}"


def attachment_purpose(attachment_id: str) -> str:
    return attachment_id


def event_message(
    report_id: str, event: str, now: datetime, author_id: str | None = None
) -> Message:
    """An entry the student may see, as a code worded by the locale files (no content)."""
    return Message(
        id=new_id(),
        report_id=report_id,
        author_kind="event",
        author_id=author_id,
        internal=False,
        event=event,
        scheme="none",
        ciphertext=None,
        created_at=now,
    )


def seal_adviser_text(data_key: bytes, report_id: str, message_id: str, text: str) -> bytes:
    return crypto.encrypt_field(
        data_key, text.encode(), report_id=report_id, field=message_field(message_id)
    )


def seal_student_text(public_key: bytes, report_id: str, message_id: str, text: str) -> bytes:
    return crypto.seal_payload(text.encode(), public_key, report_id=report_id, purpose=message_id)


def open_text(row: Message, data_key: bytes, report_private: X25519PrivateKey | None) -> str | None:
    """The text of a thread entry, or None for an event (or a student message when the
    report's own key is missing)."""
    if row.ciphertext is None:
        return None
    if row.scheme == "key":
        field = message_field(row.id)
        return crypto.decrypt_field(
            data_key, row.ciphertext, report_id=row.report_id, field=field
        ).decode()
    if row.scheme == "hpke" and report_private is not None:
        return crypto.open_payload(
            row.ciphertext, report_private, report_id=row.report_id, purpose=row.id
        ).decode()
    return None


@dataclass(frozen=True)
class FileContent:
    name: str
    media_type: str
    data: bytes


def seal_file(public_key: bytes, report_id: str, attachment_id: str, file: FileContent) -> bytes:
    header = json.dumps({"name": file.name, "kind": file.media_type}).encode()
    payload = len(header).to_bytes(_LENGTH, "big") + header + file.data
    return crypto.seal_payload(
        payload,
        public_key,
        report_id=report_id,
        purpose=attachment_purpose(attachment_id),
        coarse=True,
    )


def open_file(
    sealed: bytes, report_private: X25519PrivateKey, report_id: str, attachment_id: str
) -> FileContent:
    payload = crypto.open_payload(
        sealed, report_private, report_id=report_id, purpose=attachment_purpose(attachment_id)
    )
    size = int.from_bytes(payload[:_LENGTH], "big")
    header = json.loads(payload[_LENGTH : _LENGTH + size])
    return FileContent(str(header["name"]), str(header["kind"]), payload[_LENGTH + size :])
