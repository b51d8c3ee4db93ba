"""Content padding: whatever a student or adviser wrote is padded to fixed size buckets
before it is sealed, so a ciphertext's length does not tell one coded answer from another.

A 4-byte length, the data, then zero bytes up to the next bucket. Everything short (a
coded answer, a yes/no, a school's id, a chat address) lands in the first bucket.
Padded blobs are sealed under their own label ("<label>+pad"): a blob sealed before
padding opens only under the old label and is returned as stored, a padded one only
under the new label and is unpadded. Neither can pass for the other (AEAD).
"""

from __future__ import annotations

from storage.crypto.aead import CryptoError, associated_data, seal, unseal

PAD_LENGTH = 4
PAD_BUCKETS = (64, 256, 1024, 4096)
PAD_STEP = 4096  # beyond the last bucket: whole multiples of this
FILE_PAD_MIN = 64 * 1024  # files: the next power of two, at least this
PADDED = "+pad"


def _padded_size(needed: int, *, coarse: bool) -> int:
    if coarse:
        return max(FILE_PAD_MIN, 1 << (needed - 1).bit_length())
    for bucket in PAD_BUCKETS:
        if needed <= bucket:
            return bucket
    return -(-needed // PAD_STEP) * PAD_STEP


def pad(data: bytes, *, coarse: bool = False) -> bytes:
    """A 4-byte big-endian length, `data`, then zero bytes up to a fixed bucket.

    Buckets (length prefix included): 64, 256, 1024, 4096 bytes, then multiples of
    4096. `coarse` (files) rounds up to the next power of two, at least 64 KiB: a
    file's size then says only which of a handful of size classes it falls in.
    """
    if len(data) >= 1 << (8 * PAD_LENGTH):
        raise ValueError("too large to pad")
    needed = PAD_LENGTH + len(data)
    filler = _padded_size(needed, coarse=coarse) - needed
    return len(data).to_bytes(PAD_LENGTH, "big") + data + bytes(filler)


def unpad(data: bytes) -> bytes:
    """Inverse of `pad`, strict: a wrong length or non-zero filler is a CryptoError."""
    if len(data) < PAD_LENGTH:
        raise CryptoError("padded data too short")
    size = int.from_bytes(data[:PAD_LENGTH], "big")
    end = PAD_LENGTH + size
    if end > len(data) or data.count(0, end) != len(data) - end:
        raise CryptoError("bad padding")
    return data[PAD_LENGTH:end]


def seal_padded(key: bytes, plaintext: bytes, label: str, *parts: str | bytes) -> bytes:
    """AES-GCM of the padded plaintext, under the label that says it is padded."""
    return seal(key, pad(plaintext), associated_data(label + PADDED, *parts))


def open_padded(key: bytes, blob: bytes, label: str, *parts: str | bytes) -> bytes:
    """A padded blob, or one sealed before padding existed (returned as it was sealed)."""
    try:
        padded = unseal(key, blob, associated_data(label + PADDED, *parts))
    except CryptoError:
        return unseal(key, blob, associated_data(label, *parts))
    return unpad(padded)
