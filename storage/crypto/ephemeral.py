"""Keys drawn at start-up and held in this process's memory only, never written anywhere.

A copy of the disk, keys.dir included, opens or confirms nothing made with them, and a
restart forgets them: for what must not outlive the process.
"""

from __future__ import annotations

import hashlib
import hmac

from storage.crypto.aead import associated_data, new_key, seal, unseal
from storage.crypto.padding import pad, unpad


class EphemeralKey:
    """For what a conversation state may hold that names a report (the reply token): a
    copy of the disk, keys.dir included, opens none of it, and after a restart neither
    does the service — the student types their code again.
    """

    def __init__(self) -> None:
        self._key = new_key()

    def seal_value(self, plaintext: bytes, *, purpose: str) -> bytes:
        return seal(self._key, pad(plaintext), associated_data("ephemeral", purpose))

    def open_value(self, blob: bytes, *, purpose: str) -> bytes:
        return unpad(unseal(self._key, blob, associated_data("ephemeral", purpose)))


class EphemeralHash:
    """HMAC-SHA256 under a key of its own drawn at start: names for what is counted in
    memory (a client's address) that a dump of the process's counters cannot reverse
    by hashing guesses, and that the next start no longer recognises."""

    def __init__(self) -> None:
        self._key = new_key()

    def name(self, data: bytes) -> str:
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()
