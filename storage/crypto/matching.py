"""Matching company names across reports (patterns) without a list of names anywhere.

Keyed hashes of a normalised company name or KvK number, under a matching key file of
their own (`matching_keys`); and a name as an adviser shares it with a coordinator.
"""

from __future__ import annotations

import hashlib
import hmac

from storage.crypto.aead import KEY_LEN, associated_data, new_key
from storage.crypto.hpke_seal import hpke_open, hpke_seal
from storage.crypto.kdf import subkey
from storage.crypto.padding import pad, unpad
from storage.crypto.private_keys import X25519PrivateKey


def new_matching_secret() -> bytes:
    """The random secret of one matching key file (`matching_keys`)."""
    return new_key()


class MatchingKey:
    """Keyed hashes of a normalised company name or KvK number, for finding reports that
    name the same company without a list of names anywhere.

    Its own key file, neither the server key nor the chat-hash key: a copy of the
    database alone confirms nothing; a copy of keys.dir as well lets someone confirm a
    company they guess (hash the guess, look for it), and nothing more: no student, no
    story. `key_id` is stored next to each hash so that a rotated key's hashes can be
    told apart and retired.
    """

    def __init__(self, key_id: str, secret: bytes) -> None:
        if len(secret) != KEY_LEN:
            raise ValueError("a matching key is 32 bytes")
        self.key_id = key_id
        self._key = subkey(secret, "pattern-match")

    def tag(self, kind: str, value: str) -> bytes:
        """HMAC-SHA256 of (kind, value): "name" and "kvk" hashes never collide."""
        data = associated_data("pattern-tag", kind, value)
        return hmac.new(self._key, data, hashlib.sha256).digest()


def seal_shared_name(name: str, public_key: bytes, *, pattern_id: str, report_id: str) -> bytes:
    """A company's name as an adviser shares it with a coordinator: HPKE to the
    coordinator's key, bound to the pattern and the report (padded like every field)."""
    info = associated_data("pattern-name", pattern_id, report_id)
    return hpke_seal(pad(name.encode()), public_key, info)


def open_shared_name(
    sealed: bytes, private_key: X25519PrivateKey, *, pattern_id: str, report_id: str
) -> str:
    info = associated_data("pattern-name", pattern_id, report_id)
    return unpad(hpke_open(sealed, private_key, info)).decode()
