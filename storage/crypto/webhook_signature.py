"""Checking Meta's webhook signature: the one MAC made under a key we did not make.

Meta signs each WhatsApp webhook body with the app secret; a body that does not carry
that signature is not from Meta and is refused before it is read.
"""

from __future__ import annotations

import hashlib
import hmac


def webhook_signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    """Meta's `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the exact raw body under
    the app secret, compared in constant time. Anything else (no header, another scheme,
    not hex) never matches."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower().encode())
