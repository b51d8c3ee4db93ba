"""The token that keeps a report open in a chat for the rest of a visit after /status.

It names the report, its data key and an expiry, sealed with the process's ephemeral
key (drawn at start, never written): the conversation state (itself encrypted) holds it,
so the student reads and answers without typing the code again. A copy of
the disk, keys.dir included, cannot open it or tell which report it names; after a
restart no token opens and the student types their code again. It runs out after `TTL`
without a message (`refresh` moves the expiry on each turn), so a phone left unlocked
does not keep a line to the report open.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.crypto.aead import CryptoError
from storage.crypto.ephemeral import EphemeralKey

TTL = timedelta(minutes=30)  # idle time-out: said to the student in the status view
PURPOSE = "reply-token"
# The same kind of token for the student's evaluation after a closed report: another
# purpose, so neither opens as the other.
EVALUATION = "evaluation-token"


@dataclass(frozen=True)
class Opened:
    report_id: str
    data_key: bytes = field(default=b"", repr=False)  # b"": made without one (answering only)


def make_token(
    key: EphemeralKey,
    report_id: str,
    now: datetime,
    data_key: bytes = b"",
    *,
    purpose: str = PURPOSE,
) -> str:
    expires = int((now + TTL).timestamp())
    wrapped = base64.urlsafe_b64encode(data_key).decode()
    sealed = key.seal_value(f"{report_id}:{wrapped}:{expires}".encode(), purpose=purpose)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_token(
    key: EphemeralKey, token: str, now: datetime, *, purpose: str = PURPOSE
) -> Opened | None:
    """The report and its data key, or None when the token is expired, altered, made for
    another purpose or not ours (another process: the service restarted)."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = key.open_value(sealed, purpose=purpose).decode()
        report_id, wrapped, expires = plain.split(":")
        if int(expires) < now.timestamp() or not report_id:
            return None
        return Opened(report_id, base64.urlsafe_b64decode(wrapped))
    except (CryptoError, ValueError, binascii.Error, UnicodeDecodeError):
        return None


def read_token(
    key: EphemeralKey, token: str, now: datetime, *, purpose: str = PURPOSE
) -> str | None:
    """The report id, or None when the token is expired, altered or not ours."""
    opened = open_token(key, token, now, purpose=purpose)
    return opened.report_id if opened is not None else None


def refresh(key: EphemeralKey, token: str, now: datetime) -> str:
    """The same report with its expiry moved to `TTL` from now; "" once it ran out."""
    opened = open_token(key, token, now)
    if opened is None:
        return ""
    return make_token(key, opened.report_id, now, opened.data_key)
