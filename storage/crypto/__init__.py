"""All of stagemeld's cryptography, in one place.

Built from `cryptography` primitives: AES-256-GCM for content, HPKE (RFC 9180) to
seal per-report data keys to advisers and the recovery key, HKDF and HMAC for sub-keys
and the chat hash; and Argon2id from argon2-cffi (the reference implementation, which
derives concurrently) to turn receipt codes and passphrases into keys.
Associated data binds every ciphertext to where it belongs, so nothing can be moved
from one report, field or chat to another without failing to decrypt.
Whatever a student or adviser wrote is padded to fixed size buckets before it is
sealed (`pad`), so a ciphertext's length does not tell one coded answer from another.

Keeping it in one module (as GlobaLeaks and SecureDrop do) means a reviewer reads one
file to check every promise of the security model: the rest of storage only calls these
functions and never touches a primitive — no cipher, hash, MAC or KDF, and no key or salt
drawn from `os.urandom` (`keys` asks `new_server_secret` and `new_salt`; a test checks).
Which thread runs an Argon2id derivation is scheduling, not cryptography: `kdf_thread`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import pyotp
from argon2 import low_level as argon2_low_level
from argon2.exceptions import HashingError as Argon2HashingError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey as X25519PrivateKey,  # the recovery key's type, for callers
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from vocabulary import RECEIPT_DIGITS

VERSION = b"stagemeld/v1"
KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
SALT_LEN = 16
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_RECOVERY_HEADER = "stagemeld-recovery-key-v1"
_RECOVERY_CHECKSUM = 4
_PROTECTED_VERSION = 1
# A protected key names its own Argon2id cost; refuse absurd costs so that a tampered
# row cannot make the console allocate gigabytes or spin for minutes.
_MAX_ITERATIONS = 64
_MAX_LANES = 64
_MAX_MEMORY_KIB = 4 * 1024 * 1024
# Padding (see `pad`): a 4-byte length, the data, then zero bytes up to the next bucket.
# Everything short (a coded answer, a yes/no, a school's id, a chat address) lands in
# the first bucket, so ciphertext lengths no longer tell such answers apart.
PAD_LENGTH = 4
PAD_BUCKETS = (64, 256, 1024, 4096)
PAD_STEP = 4096  # beyond the last bucket: whole multiples of this
FILE_PAD_MIN = 64 * 1024  # files: the next power of two, at least this
# Padded blobs are sealed under their own label ("<label>+pad"): a blob sealed before
# padding opens only under the old label and is returned as stored, a padded one only
# under the new label and is unpadded. Neither can pass for the other (AEAD).
_PADDED = "+pad"


class CryptoError(Exception):
    """Decryption or authentication failed: wrong key, or data moved or altered."""


def _aad(*parts: str | bytes) -> bytes:
    """Associated data / labels: the version, then each part length-prefixed.

    Length prefixes make the encoding injective: ("r1|x", "y") and ("r1", "x|y") can
    never produce the same bytes, whatever characters ids contain.
    """
    out = [VERSION]
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        out.append(len(raw).to_bytes(4, "big") + raw)
    return b"".join(out)


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


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_LEN + TAG_LEN:
        raise CryptoError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], aad)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot decrypt") from exc


def _seal_padded(key: bytes, plaintext: bytes, label: str, *parts: str | bytes) -> bytes:
    return _seal(key, pad(plaintext), _aad(label + _PADDED, *parts))


def _open_padded(key: bytes, blob: bytes, label: str, *parts: str | bytes) -> bytes:
    """A padded blob, or one sealed before padding existed (returned as it was sealed)."""
    try:
        padded = _open(key, blob, _aad(label + _PADDED, *parts))
    except CryptoError:
        return _open(key, blob, _aad(label, *parts))
    return unpad(padded)


# --- report content -----------------------------------------------------------------


def new_data_key() -> bytes:
    """A fresh AES-256 key per report, so one report's key opens nothing else."""
    return os.urandom(KEY_LEN)


def new_server_secret() -> bytes:
    """The server's own secret (`ServerKey`), made once by `stagemeld keys init`."""
    return os.urandom(KEY_LEN)


def new_salt() -> bytes:
    """A fresh Argon2id salt (the receipt salt; each protected key has its own)."""
    return os.urandom(SALT_LEN)


def encrypt_field(key: bytes, plaintext: bytes, *, report_id: str, field: str) -> bytes:
    """nonce (12) || AES-256-GCM(padded plaintext || tag); AAD binds version, report
    and field (and says the plaintext is padded)."""
    return _seal_padded(key, plaintext, "field", report_id, field)


def decrypt_field(key: bytes, blob: bytes, *, report_id: str, field: str) -> bytes:
    return _open_padded(key, blob, "field", report_id, field)


# --- sealing data keys to people (HPKE) -----------------------------------------------


def generate_keypair() -> tuple[X25519PrivateKey, bytes]:
    private = X25519PrivateKey.generate()
    return private, public_bytes(private)


def public_bytes(private: X25519PrivateKey) -> bytes:
    """The raw 32-byte public half, as stored and as passed to `seal_key`."""
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def seal_key(data_key: bytes, public_key: bytes, *, report_id: str) -> bytes:
    """HPKE base mode; `info` binds the report, so a sealed key cannot be re-filed."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    return _SUITE.encrypt(data_key, recipient, info=_aad("data-key", report_id))


def open_key(sealed: bytes, private_key: X25519PrivateKey, *, report_id: str) -> bytes:
    try:
        return _SUITE.decrypt(sealed, private_key, info=_aad("data-key", report_id))
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot open sealed key") from exc


def _raw_private(private: X25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def private_key_bytes(private: X25519PrivateKey) -> bytes:
    """Raw 32 bytes, for a private key that is itself stored encrypted (a report's key)."""
    return _raw_private(private)


def private_key_from_bytes(raw: bytes) -> X25519PrivateKey:
    if len(raw) != KEY_LEN:
        raise CryptoError("a private key is 32 bytes")
    return X25519PrivateKey.from_private_bytes(raw)


def seal_payload(
    payload: bytes, public_key: bytes, *, report_id: str, purpose: str, coarse: bool = False
) -> bytes:
    """HPKE to a report's own public key: what a student sends after filing (a message,
    a file) is sealed without the server holding any secret; `purpose` (e.g. the message
    id) is bound in `info`, so a sealed blob cannot be moved to another report or slot.
    Padded first (`coarse` for files: see `pad`)."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    info = _aad("payload" + _PADDED, report_id, purpose)
    return _SUITE.encrypt(pad(payload, coarse=coarse), recipient, info=info)


def _hpke_open(sealed: bytes, private_key: X25519PrivateKey, info: bytes) -> bytes:
    try:
        return _SUITE.decrypt(sealed, private_key, info=info)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot open sealed payload") from exc


def open_payload(
    sealed: bytes, private_key: X25519PrivateKey, *, report_id: str, purpose: str
) -> bytes:
    """A padded payload, or one sealed before padding existed (returned as sealed)."""
    try:
        padded = _hpke_open(sealed, private_key, _aad("payload" + _PADDED, report_id, purpose))
    except CryptoError:
        return _hpke_open(sealed, private_key, _aad("payload", report_id, purpose))
    return unpad(padded)


# --- thread messages: the row's flags bound to its content --------------------------------
#
# A message's author, its `internal` flag, its event code and its scheme are plaintext
# columns the readers act on (the student's view leaves internal notes out). They are
# bound into the AES-GCM associated data (messages under the data key) or the HPKE `info`
# (messages sealed to the report's key): a row whose flags were changed in the database
# no longer opens. The label differs from `field`/`payload`, so a message sealed this way
# can never be opened under the older rules (a scheme downgrade fails too). Always padded
# (`pad`): these schemes are newer than padding, so there is no unpadded form to read.


def encrypt_message(
    key: bytes, plaintext: bytes, *, report_id: str, message_id: str, binding: tuple[str, ...]
) -> bytes:
    return _seal(key, pad(plaintext), _aad("message", report_id, message_id, *binding))


def decrypt_message(
    key: bytes, blob: bytes, *, report_id: str, message_id: str, binding: tuple[str, ...]
) -> bytes:
    return unpad(_open(key, blob, _aad("message", report_id, message_id, *binding)))


def seal_message(
    payload: bytes, public_key: bytes, *, report_id: str, message_id: str, binding: tuple[str, ...]
) -> bytes:
    recipient = X25519PublicKey.from_public_bytes(public_key)
    info = _aad("message", report_id, message_id, *binding)
    return _SUITE.encrypt(pad(payload), recipient, info=info)


def open_message(
    sealed: bytes,
    private_key: X25519PrivateKey,
    *,
    report_id: str,
    message_id: str,
    binding: tuple[str, ...],
) -> bytes:
    try:
        info = _aad("message", report_id, message_id, *binding)
        padded = _SUITE.decrypt(sealed, private_key, info=info)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot open sealed message") from exc
    return unpad(padded)


# --- the student's feedback after closing, sealed to the network's coordinators ----------


def _feedback_info(feedback_id: str, quote: bool) -> bytes:
    return _aad("feedback", feedback_id, "quote" if quote else "private")


def seal_feedback(text: bytes, public_key: bytes, *, feedback_id: str, quote: bool) -> bytes:
    """HPKE to one reader (a network coordinator, or the recovery key), padded. `info`
    binds the row and the student's quote consent: a copy moved to another row, or a
    consent flag flipped in the database, fails to open."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    return _SUITE.encrypt(pad(text), recipient, info=_feedback_info(feedback_id, quote))


def open_feedback(
    sealed: bytes, private_key: X25519PrivateKey, *, feedback_id: str, quote: bool
) -> bytes:
    try:
        padded = _SUITE.decrypt(sealed, private_key, info=_feedback_info(feedback_id, quote))
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("cannot open sealed feedback") from exc
    return unpad(padded)


def _checksum(raw: bytes) -> bytes:
    return hashlib.sha256(_aad("recovery-text", raw)).digest()[:_RECOVERY_CHECKSUM]


def private_key_to_text(private: X25519PrivateKey) -> str:
    """The recovery key for paper: one line, a header then base32 in groups of four.

    Base32 survives handwriting (no case, no 0/O 1/l confusion in its alphabet) and a
    short checksum turns a typo into a clear error instead of a key that opens nothing.
    """
    raw = _raw_private(private)
    body = base64.b32encode(raw + _checksum(raw)).decode().rstrip("=")
    groups = " ".join(body[i : i + 4] for i in range(0, len(body), 4))
    return f"{_RECOVERY_HEADER}: {groups}"


def private_key_from_text(text: str) -> X25519PrivateKey:
    """Inverse of `private_key_to_text`; tolerant of spaces, line breaks, dashes, case."""
    compact = "".join(text.split())
    if compact.lower().startswith(_RECOVERY_HEADER):
        compact = compact[len(_RECOVERY_HEADER) :].removeprefix(":")
    body = compact.replace("-", "").upper()
    try:
        decoded = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("not a stagemeld recovery key") from exc
    raw, check = decoded[:KEY_LEN], decoded[KEY_LEN:]
    if len(raw) != KEY_LEN or not hmac.compare_digest(check, _checksum(raw)):
        raise CryptoError("recovery key mistyped (checksum does not match)")
    return X25519PrivateKey.from_private_bytes(raw)


# --- Argon2id ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. RFC 9106's second recommended profile by default."""

    iterations: int = 3
    lanes: int = 4
    memory_kib: int = 65536

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.lanes < 1 or self.memory_kib < 8 * self.lanes:
            raise ValueError("Argon2id needs iterations >= 1, lanes >= 1, memory >= 8*lanes KiB")


# Argon2id from argon2-cffi's low-level API (the reference C implementation). It
# releases the GIL for the whole derivation and keeps no shared pool, so derivations on
# different threads run side by side, each its lanes on its own thread. It replaced
# `cryptography`'s Argon2id, which ran lanes on OpenSSL's process-wide thread pool
# capped at the core count: two derivations at once each took part of that pool and
# waited forever for the rest (py-spy: every caller in ossl_crypto_thread_start), so
# they had to be serialised behind a lock. The output is the same function of the same
# inputs (RFC 9106, version 0x13): tests/test_kdf_pool.py reproduces, byte for byte,
# keys made by the old code (tests/data/argon2id_cryptography.json). How many run at
# once is scheduling, bounded by `kdf_thread`.
def _argon2(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    threads = min(_ARGON2_THREADS.get() or params.lanes, params.lanes)
    return _argon2_on_threads(secret, salt, params, threads)


# How many threads a derivation in this thread spreads its lanes over (None: one per
# lane). Threads are scheduling only: the lanes, and so the key, are the same (RFC 9106
# section 3.4; tests/test_kdf_pool.py checks it against the recorded keys).
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


def _expand(master: bytes, label: str) -> bytes:
    return HKDFExpand(hashes.SHA256(), KEY_LEN, _aad(label)).derive(master)


# --- receipts --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptKeys:
    lookup: bytes  # stored: finds the report
    wrap_key: bytes  # never stored: opens the student's copy of the data key


def generate_receipt() -> str:
    """16 digits (~53 bits) from `secrets`; leading zeros allowed."""
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def derive_receipt_keys(code: str, salt: bytes, params: KdfParams) -> ReceiptKeys:
    """Argon2id once, then HKDF-Expand into two independent keys.

    Blocking (~0.2 s with the default cost): call it from a thread. The lookup id is
    stored, so it must not reveal the wrap key: separate HKDF labels guarantee that.
    """
    master = _argon2(code.encode(), salt, params)
    return ReceiptKeys(
        lookup=_expand(master, "receipt-lookup"), wrap_key=_expand(master, "receipt-wrap")
    )


def wrap_data_key(data_key: bytes, wrap_key: bytes, *, report_id: str) -> bytes:
    return _seal(wrap_key, data_key, _aad("receipt-copy", report_id))


def unwrap_data_key(blob: bytes, wrap_key: bytes, *, report_id: str) -> bytes:
    return _open(wrap_key, blob, _aad("receipt-copy", report_id))


# --- advisers' private keys under a passphrase ------------------------------------------


def _protect_header(params: KdfParams, salt: bytes, nonce: bytes) -> dict[str, object]:
    return {
        "v": _PROTECTED_VERSION,
        "kdf": asdict(params),
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
    }


def _header_aad(header: dict[str, object]) -> bytes:
    # The whole header is authenticated: cost, salt and nonce cannot be swapped.
    return _aad("adviser-key", json.dumps(header, sort_keys=True, separators=(",", ":")))


def protect_private_key(private: X25519PrivateKey, passphrase: str, params: KdfParams) -> bytes:
    """A self-describing JSON blob: version, Argon2id params, salt, nonce, ciphertext."""
    salt, nonce = new_salt(), os.urandom(NONCE_LEN)
    header = _protect_header(params, salt, nonce)
    key = _argon2(passphrase.encode(), salt, params)
    ct = AESGCM(key).encrypt(nonce, _raw_private(private), _header_aad(header))
    blob = {**header, "ct": base64.b64encode(ct).decode()}
    return json.dumps(blob, sort_keys=True).encode()


def _parse_protected(blob: bytes) -> tuple[KdfParams, bytes, bytes, bytes]:
    try:
        envelope = json.loads(blob)
        if envelope["v"] != _PROTECTED_VERSION:
            raise CryptoError(f"unknown protected-key version {envelope['v']!r}")
        params = KdfParams(**envelope["kdf"])
        salt = base64.b64decode(envelope["salt"], validate=True)
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        ct = base64.b64decode(envelope["ct"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise CryptoError("not a protected key") from exc
    sane = (
        params.iterations <= _MAX_ITERATIONS
        and params.lanes <= _MAX_LANES
        and params.memory_kib <= _MAX_MEMORY_KIB
        and len(salt) >= 8
        and len(nonce) == NONCE_LEN
    )
    if not sane:
        raise CryptoError("protected key has implausible parameters")
    return params, salt, nonce, ct


def unprotect_private_key(blob: bytes, passphrase: str) -> X25519PrivateKey:
    """Blocking (Argon2id): call it from a thread. CryptoError on a wrong passphrase."""
    params, salt, nonce, ct = _parse_protected(blob)
    key = _argon2(passphrase.encode(), salt, params)
    try:
        raw = AESGCM(key).decrypt(nonce, ct, _header_aad(_protect_header(params, salt, nonce)))
    except InvalidTag as exc:
        raise CryptoError("wrong passphrase") from exc
    return X25519PrivateKey.from_private_bytes(raw)


# --- one-time links --------------------------------------------------------------------


def new_token() -> str:
    """256 bits, URL-safe: for one-time links (an adviser's enrolment)."""
    return secrets.token_urlsafe(KEY_LEN)


def token_hash(token: str) -> bytes:
    """What is stored of a link: a stolen database gives no usable link."""
    return hashlib.sha256(_aad("token", token)).digest()


# --- console sessions ---------------------------------------------------------------------
# A signed-in adviser's unlocked private key is stored in the database, sealed under a
# key derived from the session's cookie token, which is stored nowhere on the server: a
# copy of the database (or of its backups) holds only the token's hash and a ciphertext
# no key on the server opens. Any replica that is handed the cookie can open it.


def _session_subkey(token: str, label: str) -> bytes:
    return HKDF(hashes.SHA256(), KEY_LEN, salt=None, info=_aad(label)).derive(token.encode())


def session_lookup(token: str) -> bytes:
    """What the database finds a console session by: a hash, never the token itself."""
    return hashlib.sha256(_aad("console-session-id", token)).digest()


def session_csrf(token: str) -> str:
    """The session's CSRF token: derived from the cookie's, so every replica agrees on it
    without storing it, and a page's form token never reveals the cookie's."""
    return base64.urlsafe_b64encode(_session_subkey(token, "console-csrf")).decode().rstrip("=")


def seal_session_key(token: str, private: X25519PrivateKey, *, adviser_id: str) -> bytes:
    """The adviser's private key, sealed for this session and this adviser only."""
    return _seal(
        _session_subkey(token, "console-session-key"),
        _raw_private(private),
        _aad("console-session", adviser_id),
    )


def open_session_key(token: str, blob: bytes, *, adviser_id: str) -> X25519PrivateKey:
    """CryptoError if the token or adviser is not the one it was sealed for."""
    raw = _open(
        _session_subkey(token, "console-session-key"), blob, _aad("console-session", adviser_id)
    )
    return X25519PrivateKey.from_private_bytes(raw)


# --- the server's own key ----------------------------------------------------------------


class ServerKey:
    """The server's secret. It keys the chat hash and encrypts drafts; it opens no report.

    Each use gets its own HKDF sub-key, so a flaw in one use cannot leak another's key.
    `audit_anchor` is where the audit chain's head is anchored outside the database
    (`<keys.dir>/audit.head`, set by `KeyStore.load`); None for a key made without a
    key directory (some tests), which then anchors nothing.
    """

    def __init__(self, secret: bytes, *, audit_anchor: Path | None = None) -> None:
        if len(secret) != KEY_LEN:
            raise ValueError("the server key must be 32 bytes")
        self._chat = self._derive(secret, "chat-hash")
        self._value = self._derive(secret, "stored-value")
        self._audit = self._derive(secret, "audit-chain")
        self._binding = self._derive(secret, "public-key-binding")
        self._anchor = self._derive(secret, "audit-anchor")
        self.audit_anchor = audit_anchor

    @staticmethod
    def _derive(secret: bytes, label: str) -> bytes:
        return HKDF(hashes.SHA256(), KEY_LEN, salt=None, info=_aad(label)).derive(secret)

    def chat_key(self, channel: str, chat_id: str) -> str:
        """HMAC-SHA256 hex of (channel, chat id): stable, but useless without the key."""
        return hmac.new(self._chat, _aad(channel, chat_id), hashlib.sha256).hexdigest()

    def seal_value(self, plaintext: bytes, *, purpose: str) -> bytes:
        """For small secrets the server must read back itself (e.g. a TOTP secret)."""
        return _seal_padded(self._value, plaintext, "value", purpose)

    def open_value(self, blob: bytes, *, purpose: str) -> bytes:
        return _open_padded(self._value, blob, "value", purpose)

    def audit_mac(self, previous: bytes, entry: bytes) -> bytes:
        """One link of the audit chain: keyed, so only the server can extend it."""
        return hmac.new(self._audit, _aad("audit", previous, entry), hashlib.sha256).digest()

    def adviser_key_mac(self, adviser_id: str, org_id: str, public_key: bytes) -> bytes:
        """Binds an adviser's public key to them and their organization: a key swapped in
        the database (by someone without keys.dir) no longer checks out, so nothing is
        ever sealed to it."""
        data = _aad("adviser-public-key", adviser_id, org_id, public_key)
        return hmac.new(self._binding, data, hashlib.sha256).digest()

    def report_key_mac(self, report_id: str, public_key: bytes) -> bytes:
        """Binds a report's own public key (what the student's answers are sealed to)."""
        data = _aad("report-public-key", report_id, public_key)
        return hmac.new(self._binding, data, hashlib.sha256).digest()

    def anchor_mac(self, seq: int, head: bytes) -> bytes:
        """The audit chain's head as anchored in keys.dir: (seq, newest entry's MAC)."""
        data = _aad("audit-anchor", str(seq), head)
        return hmac.new(self._anchor, data, hashlib.sha256).digest()


def mac_matches(expected: bytes, stored: bytes | None) -> bool:
    """Constant-time; a missing MAC never matches."""
    return stored is not None and hmac.compare_digest(expected, stored)


def webhook_signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    """Meta's `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the exact raw body under
    the app secret, compared in constant time. Anything else (no header, another scheme,
    not hex) never matches."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower().encode())


# --- shreddable draft keys and the process's own key ---------------------------------------


def new_draft_secret() -> bytes:
    """The random secret of one conversation's key file (`draft_keys`)."""
    return os.urandom(KEY_LEN)


def draft_key(secret: bytes, chat_key: str, chat_id: bytes) -> bytes:
    """The key a draft is sealed with: HKDF of the conversation's key file, bound to the
    chat hash and to the chat id itself. Both the file and the chat id are needed, so a
    copy of keys.dir opens a live draft only for someone who knows (or guesses) whose it
    is, and nothing once the file is unlinked."""
    return HKDF(hashes.SHA256(), KEY_LEN, salt=None, info=_aad("draft", chat_key, chat_id)).derive(
        secret
    )


def seal_draft(key: bytes, plaintext: bytes, *, chat_key: str) -> bytes:
    """Padded like every sealed field (`pad`): a draft's size says little of the story."""
    return _seal(key, pad(plaintext), _aad("draft", chat_key))


def open_draft(key: bytes, blob: bytes, *, chat_key: str) -> bytes:
    return unpad(_open(key, blob, _aad("draft", chat_key)))


class EphemeralKey:
    """A key drawn at start-up and held in memory only, never written anywhere.

    For what a conversation state may hold that names a report (the reply token): a copy
    of the disk, keys.dir included, opens none of it, and after a restart neither does
    the service — the student types their code again.
    """

    def __init__(self) -> None:
        self._key = os.urandom(KEY_LEN)

    def seal_value(self, plaintext: bytes, *, purpose: str) -> bytes:
        return _seal(self._key, pad(plaintext), _aad("ephemeral", purpose))

    def open_value(self, blob: bytes, *, purpose: str) -> bytes:
        return unpad(_open(self._key, blob, _aad("ephemeral", purpose)))


# --- advisers' second factor and recovery code -------------------------------------------

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


# --- matching company names across reports (patterns) ---------------------------------


def new_matching_secret() -> bytes:
    """The random secret of one matching key file (`matching_keys`)."""
    return os.urandom(KEY_LEN)


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
        self._key = HKDF(hashes.SHA256(), KEY_LEN, salt=None, info=_aad("pattern-match")).derive(
            secret
        )

    def tag(self, kind: str, value: str) -> bytes:
        """HMAC-SHA256 of (kind, value): "name" and "kvk" hashes never collide."""
        return hmac.new(self._key, _aad("pattern-tag", kind, value), hashlib.sha256).digest()


def seal_shared_name(name: str, public_key: bytes, *, pattern_id: str, report_id: str) -> bytes:
    """A company's name as an adviser shares it with a coordinator: HPKE to the
    coordinator's key, bound to the pattern and the report (padded like every field)."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    info = _aad("pattern-name", pattern_id, report_id)
    return _SUITE.encrypt(pad(name.encode()), recipient, info=info)


def open_shared_name(
    sealed: bytes, private_key: X25519PrivateKey, *, pattern_id: str, report_id: str
) -> str:
    info = _aad("pattern-name", pattern_id, report_id)
    return unpad(_hpke_open(sealed, private_key, info)).decode()
