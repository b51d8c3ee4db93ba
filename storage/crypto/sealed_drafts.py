"""An unfinished conversation's draft, sealed under a key its own shreddable file makes.

The file itself (`draft_keys`) holds a random secret; unlinking it when the conversation
ends destroys every older copy of the draft, backups included.
"""

from __future__ import annotations

from storage.crypto.aead import associated_data, new_key, seal, unseal
from storage.crypto.kdf import subkey
from storage.crypto.padding import pad, unpad


def new_draft_secret() -> bytes:
    """The random secret of one conversation's key file (`draft_keys`)."""
    return new_key()


def draft_key(secret: bytes, chat_key: str, chat_id: bytes) -> bytes:
    """The key a draft is sealed with: HKDF of the conversation's key file, bound to the
    chat hash and to the chat id itself. Both the file and the chat id are needed, so a
    copy of keys.dir opens a live draft only for someone who knows (or guesses) whose it
    is, and nothing once the file is unlinked."""
    return subkey(secret, "draft", chat_key, chat_id)


def seal_draft(key: bytes, plaintext: bytes, *, chat_key: str) -> bytes:
    """Padded like every sealed field (`pad`): a draft's size says little of the story."""
    return seal(key, pad(plaintext), associated_data("draft", chat_key))


def open_draft(key: bytes, blob: bytes, *, chat_key: str) -> bytes:
    return unpad(unseal(key, blob, associated_data("draft", chat_key)))
