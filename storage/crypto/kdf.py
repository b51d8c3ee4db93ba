"""Key derivation: Argon2id for what people type (receipt codes, passphrases), and HKDF
for the independent sub-keys derived from one secret.

Argon2id from argon2-cffi's low-level API (the reference C implementation). It releases
the GIL for the whole derivation and keeps no shared pool, so derivations on different
threads run side by side, each its lanes on its own thread. It replaced `cryptography`'s
Argon2id, which ran lanes on OpenSSL's process-wide thread pool capped at the core
count: two derivations at once each took part of that pool and waited forever for the
rest (py-spy: every caller in ossl_crypto_thread_start), so they had to be serialised
behind a lock. The output is the same function of the same inputs (RFC 9106, version
0x13): tests/unit/storage/test_kdf_pool.py reproduces, byte for byte, keys made by the old code
(tests/support/data/argon2id_cryptography.json). How many run at once is scheduling, bounded by
`kdf_thread`.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass

from argon2 import low_level as argon2_low_level
from argon2.exceptions import HashingError as Argon2HashingError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from storage.crypto.aead import KEY_LEN, associated_data

SALT_LEN = 16


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. RFC 9106's second recommended profile by default."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 65536

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.lanes < 1 or self.memory_kib < 8 * self.lanes:
            raise ValueError("Argon2id needs iterations >= 1, lanes >= 1, memory >= 8*lanes KiB")


def new_salt() -> bytes:
    """A fresh Argon2id salt (the receipt salt; each protected key has its own)."""
    return os.urandom(SALT_LEN)


def argon2id(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    """32 bytes of Argon2id. Blocking (~0.2 s with the default cost): call it from a
    thread (`kdf_thread`)."""
    threads = min(_ARGON2_THREADS.get() or params.lanes, params.lanes)
    return _argon2_on_threads(secret, salt, params, threads)


# How many threads a derivation in this thread spreads its lanes over (None: one per
# lane). Threads are scheduling only: the lanes, and so the key, are the same (RFC 9106
# section 3.4; tests/unit/storage/test_kdf_pool.py checks it against the recorded keys).
_ARGON2_THREADS: ContextVar[int | None] = ContextVar("argon2_threads", default=None)


def argon2_on_one_thread() -> None:
    """Derivations made from now on in the calling thread compute their lanes one after
    another on it: `kdf_thread` asks this of status checks' threads, so a storm of
    receipt guesses keeps to the one core it is given instead of all of them."""
    _ARGON2_THREADS.set(1)


_ARGON2_OK = 0  # argon2.h: ARGON2_OK
_ARGON2_DEFAULT_FLAGS = 0  # argon2.h: ARGON2_DEFAULT_FLAGS, as argon2_hash uses


def _argon2_on_threads(secret: bytes, salt: bytes, params: KdfParams, threads: int) -> bytes:
    """The reference implementation's `argon2_ctx` (argon2-cffi's `core`), which takes the
    thread count apart from the lanes (`hash_secret_raw` always uses one per lane): one
    call for every derivation, whatever its thread count."""
    ffi = argon2_low_level.ffi
    out = ffi.new("uint8_t[]", KEY_LEN)
    password, salted = ffi.new("uint8_t[]", secret), ffi.new("uint8_t[]", salt)
    context = ffi.new(
        "argon2_context *",
        {
            "out": out,
            "outlen": KEY_LEN,
            "pwd": password,
            "pwdlen": len(secret),
            "salt": salted,
            "saltlen": len(salt),
            "secret": ffi.NULL,
            "secretlen": 0,
            "ad": ffi.NULL,
            "adlen": 0,
            "t_cost": params.iterations,
            "m_cost": params.memory_kib,
            "lanes": params.lanes,
            "threads": threads,
            "version": argon2_low_level.ARGON2_VERSION,
            "allocate_cbk": ffi.NULL,
            "free_cbk": ffi.NULL,
            "flags": _ARGON2_DEFAULT_FLAGS,
        },
    )
    result = argon2_low_level.core(context, argon2_low_level.Type.ID.value)
    if result != _ARGON2_OK:
        raise Argon2HashingError(argon2_low_level.error_to_str(result))
    return bytes(ffi.buffer(out, KEY_LEN))


def expand(master: bytes, label: str) -> bytes:
    """HKDF-Expand of an Argon2id output into one labelled key (its labels independent)."""
    return HKDFExpand(hashes.SHA256(), KEY_LEN, associated_data(label)).derive(master)


def subkey(secret: bytes, *label: str | bytes) -> bytes:
    """HKDF-SHA256 (no salt) of a high-entropy secret into the key for one use: a flaw in
    one use cannot leak another's key."""
    info = associated_data(*label)
    return HKDF(hashes.SHA256(), KEY_LEN, salt=None, info=info).derive(secret)
