"""Advisers' second factor (TOTP, RFC 6238) and their one-time recovery code."""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import datetime

import pyotp

TOTP_PERIOD = 30
TOTP_DIGITS = 6
_RECOVERY_CODE_GROUPS = 5  # 5 x 4 base32 characters = 100 bits


def new_totp_secret() -> str:
    """Base32, 160 bits (RFC 4226's recommended length), for an authenticator app."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_code(secret: str, at: datetime) -> str:
    """The code an authenticator shows at that moment (for the tests; the demo prints a
    pyotp one-liner instead)."""
    return pyotp.TOTP(secret).at(at)


def totp_step(secret: str, code: str, at: datetime, window: int = 1) -> int | None:
    """The time step a code belongs to (±`window` steps for clock drift), or None.

    Returning the step lets the caller refuse a code of a step already used (replay).
    """
    typed = "".join(code.split())
    if len(typed) != TOTP_DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // TOTP_PERIOD
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def new_recovery_code() -> str:
    """ "ABCD-EFGH-…": 100 bits from `secrets`, in base32 so it survives paper."""
    body = base64.b32encode(secrets.token_bytes(15)).decode()[: 4 * _RECOVERY_CODE_GROUPS]
    return "-".join(body[i : i + 4] for i in range(0, len(body), 4))


def normalize_recovery_code(text: str) -> str:
    """Case, spaces and dashes do not matter when typing it back."""
    body = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(body[i : i + 4] for i in range(0, len(body), 4))
