"""Random tokens and identifiers, what is stored of a token, and comparing one.

Every random value the rest of the code needs (a one-time link, a cookie's session id,
a report's reference) is drawn here from `secrets`, and a token a client sends back is
compared here in constant time: no module outside the crypto room draws or compares one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from storage.crypto.aead import KEY_LEN, associated_data


def new_token(size: int = KEY_LEN) -> str:
    """`size` random bytes, URL-safe (256 bits by default): for one-time links (an
    adviser's enrolment), session cookies and CSRF tokens."""
    return secrets.token_urlsafe(size)


def new_hex_id(size: int = 16) -> str:
    """`size` random bytes as hex: an identifier that must not be guessable."""
    return secrets.token_hex(size)


def random_string(alphabet: str, length: int) -> str:
    """`length` characters drawn uniformly from `alphabet` (a reference people quote)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def token_hash(token: str) -> bytes:
    """What is stored of a link: a stolen database gives no usable link."""
    return hashlib.sha256(associated_data("token", token)).digest()


def tokens_match(given: str, expected: str) -> bool:
    """Constant-time: how long a comparison takes says nothing of how much matched."""
    return hmac.compare_digest(given.encode(), expected.encode())
