"""The token that lets a student answer their adviser after /status.

It names the report and an expiry, sealed with the process's ephemeral key (drawn at
start, never written): the conversation state (itself encrypted) holds it while the
student is answering, and it opens nothing — what the student sends is sealed to the
report's public key. A copy of the disk, keys.dir included, cannot tell which report a
token names; after a restart no token opens and the student types their code again.
After `TTL` the student shows their code again, so a phone left unlocked does not keep a
line to the report open.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from storage.crypto import CryptoError, EphemeralKey

TTL = timedelta(minutes=30)
PURPOSE = "reply-token"
# The same kind of token for the feedback after a closed report (issue 12): another
# purpose, so neither opens as the other.
FEEDBACK = "feedback-token"


def make_token(key: EphemeralKey, report_id: str, now: datetime, purpose: str = PURPOSE) -> str:
    expires = int((now + TTL).timestamp())
    sealed = key.seal_value(f"{report_id}:{expires}".encode(), purpose=purpose)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def read_token(key: EphemeralKey, token: str, now: datetime, purpose: str = PURPOSE) -> str | None:
    """The report id, or None when the token is expired, altered or not ours."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        report_id, _, expires = key.open_value(sealed, purpose=purpose).decode().partition(":")
        if int(expires) < now.timestamp():
            return None
    except (CryptoError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return report_id or None
