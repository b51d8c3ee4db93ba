"""How a report's thread is sealed: one convention for the console and the student side.

Adviser messages and notes (scheme "key2"): AES-GCM under the report's data key (the
student opens them with the data key their receipt unwraps). Student messages (scheme
"hpke2"): HPKE-sealed to the report's public key. Both bind the report, the message id
and the row's plaintext flags — scheme, author kind, author id, internal, event — into
the associated data / HPKE info (`binding`): flipping `internal` on a note, changing
its author or downgrading its scheme in the database makes it fail to open, and
readers treat that as tampering, never as content. The older schemes
"key" (field `message/<id>`) and "hpke" (message id as purpose) bound nothing but the
report and id; they are still opened under their own rules and never written.
Attachments: HPKE-sealed likewise with the attachment id as purpose, holding a 4-byte
length, a small JSON header (name, kind) and the bytes.
Everything is padded before sealing (`padding.pad`): texts to fixed buckets, files to
the next power of two (at least 64 KiB), so sizes say little about what was written.
The console (`storage.repositories.cases`) and the student's side
(`storage.repositories.student`) both use these.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from storage.crypto import aead, hpke_seal, sealed_content
from storage.crypto.private_keys import X25519PrivateKey
from storage.db.models import Message

_LENGTH = 4
KEY = "key2"  # adviser messages and notes, under the data key
HPKE = "hpke2"  # student messages, sealed to the report's public key
OLD_KEY, OLD_HPKE = "key", "hpke"  # before the flags were bound: read, never written


class ThreadTampered(aead.CryptoError):
    """A thread entry does not open with the flags its row carries: changed in the
    database. Readers leave it out of the student's view and flag it in the console."""


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


def binding(
    scheme: str, author_kind: str, author_id: str | None, internal: bool, event: str | None
) -> tuple[str, ...]:
    """The row's flags as bound into a message's associated data (fixed order)."""
    return (scheme, author_kind, author_id or "", "internal" if internal else "shown", event or "")


def _row_binding(row: Message) -> tuple[str, ...]:
    return binding(row.scheme, row.author_kind, row.author_id, bool(row.internal), row.event)


def adviser_message(
    data_key: bytes,
    report_id: str,
    adviser_id: str,
    text: str,
    *,
    internal: bool,
    now: datetime,
) -> Message:
    """An adviser's message or note, its flags bound into the ciphertext."""
    row = _row(report_id, new_id(), KEY, "adviser", adviser_id, internal, now)
    row.ciphertext = sealed_content.encrypt_message(
        data_key, text.encode(), report_id=report_id, message_id=row.id, binding=_row_binding(row)
    )
    return row


def student_message(
    public_key: bytes, report_id: str, message_id: str, text: str, now: datetime
) -> Message:
    """A student's message, sealed to the report's (authenticated) public key."""
    row = _row(report_id, message_id, HPKE, "student", None, False, now)
    row.ciphertext = hpke_seal.seal_message(
        text.encode(), public_key, report_id=report_id, message_id=message_id,
        binding=_row_binding(row),
    )  # fmt: skip
    return row


def _row(
    report_id: str,
    message_id: str,
    scheme: str,
    author_kind: str,
    author_id: str | None,
    internal: bool,
    now: datetime,
) -> Message:
    """A message row without its ciphertext yet: what is sealed binds exactly the flags
    this row stores (`_row_binding`), so the two can never disagree."""
    return Message(
        id=message_id,
        report_id=report_id,
        author_kind=author_kind,
        author_id=author_id,
        internal=internal,
        event=None,
        scheme=scheme,
        ciphertext=None,
        created_at=now,
    )


def open_text(row: Message, data_key: bytes, report_private: X25519PrivateKey | None) -> str | None:
    """The text of a thread entry, or None for an event (or a student message when the
    report's own key is missing). ThreadTampered when a sealed row does not open with
    the flags it carries, or carries a scheme nothing writes."""
    if row.ciphertext is None:
        return None
    try:
        return _open_text(row, data_key, report_private)
    except aead.CryptoError as exc:
        raise ThreadTampered(f"thread entry {row.id} does not open") from exc


def _open_text(
    row: Message, data_key: bytes, report_private: X25519PrivateKey | None
) -> str | None:
    if row.ciphertext is None:
        raise ThreadTampered(f"thread entry {row.id} has no ciphertext")
    if row.scheme == KEY:
        return sealed_content.decrypt_message(
            data_key,
            row.ciphertext,
            report_id=row.report_id,
            message_id=row.id,
            binding=_row_binding(row),
        ).decode()
    if row.scheme == HPKE:
        if report_private is None:
            return None
        return hpke_seal.open_message(
            row.ciphertext,
            report_private,
            report_id=row.report_id,
            message_id=row.id,
            binding=_row_binding(row),
        ).decode()
    if row.scheme == OLD_KEY:
        field = message_field(row.id)
        return sealed_content.decrypt_field(
            data_key, row.ciphertext, report_id=row.report_id, field=field
        ).decode()
    if row.scheme == OLD_HPKE:
        if report_private is None:
            return None
        return hpke_seal.open_payload(
            row.ciphertext, report_private, report_id=row.report_id, purpose=row.id
        ).decode()
    raise aead.CryptoError(f"unknown scheme {row.scheme!r}")


@dataclass(frozen=True)
class FileContent:
    name: str
    media_type: str
    data: bytes


def seal_file(public_key: bytes, report_id: str, attachment_id: str, file: FileContent) -> bytes:
    header = json.dumps({"name": file.name, "kind": file.media_type}).encode()
    payload = len(header).to_bytes(_LENGTH, "big") + header + file.data
    return hpke_seal.seal_payload(
        payload,
        public_key,
        report_id=report_id,
        purpose=attachment_purpose(attachment_id),
        coarse=True,
    )


def open_file(
    sealed: bytes, report_private: X25519PrivateKey, report_id: str, attachment_id: str
) -> FileContent:
    payload = hpke_seal.open_payload(
        sealed, report_private, report_id=report_id, purpose=attachment_purpose(attachment_id)
    )
    size = int.from_bytes(payload[:_LENGTH], "big")
    header = json.loads(payload[_LENGTH : _LENGTH + size])
    return FileContent(str(header["name"]), str(header["kind"]), payload[_LENGTH + size :])
