"""HPKE (RFC 9180) sealing to a person's or a report's X25519 public key.

Base mode, X25519 / HKDF-SHA256 / AES-256-GCM. Sealing needs only the public half, so
the server seals a report's data key to its advisers and the recovery key, and what a
student sends after filing (a message, a file, an evaluation) is sealed without the server
holding any secret. `info` binds each sealed blob to its report and slot, so it cannot
be moved; everything a person wrote is padded first (`padding`).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from storage.crypto.aead import CryptoError, associated_data
from storage.crypto.padding import PADDED, pad, unpad

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def generate_keypair() -> tuple[X25519PrivateKey, bytes]:
    private = X25519PrivateKey.generate()
    return private, public_bytes(private)


def public_bytes(private: X25519PrivateKey) -> bytes:
    """The raw 32-byte public half, as stored and as passed to `seal_key`."""
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def hpke_seal(plaintext: bytes, public_key: bytes, info: bytes) -> bytes:
    """HPKE base mode to a raw 32-byte public key, `info` bound."""
    return SUITE.encrypt(plaintext, X25519PublicKey.from_public_bytes(public_key), info=info)


def hpke_open(
    sealed: bytes, private_key: X25519PrivateKey, info: bytes, *, what: str = "payload"
) -> bytes:
    """Inverse of `hpke_seal`; CryptoError ("cannot open sealed <what>") on any mismatch."""
    try:
        return SUITE.decrypt(sealed, private_key, info=info)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError(f"cannot open sealed {what}") from exc


def seal_key(data_key: bytes, public_key: bytes, *, report_id: str) -> bytes:
    """HPKE base mode; `info` binds the report, so a sealed key cannot be re-filed."""
    return hpke_seal(data_key, public_key, associated_data("data-key", report_id))


def open_key(sealed: bytes, private_key: X25519PrivateKey, *, report_id: str) -> bytes:
    return hpke_open(sealed, private_key, associated_data("data-key", report_id), what="key")


def seal_payload(
    payload: bytes, public_key: bytes, *, report_id: str, purpose: str, coarse: bool = False
) -> bytes:
    """HPKE to a report's own public key: what a student sends after filing (a message,
    a file) is sealed without the server holding any secret; `purpose` (e.g. the message
    id) is bound in `info`, so a sealed blob cannot be moved to another report or slot.
    Padded first (`coarse` for files: see `pad`)."""
    info = associated_data("payload" + PADDED, report_id, purpose)
    return hpke_seal(pad(payload, coarse=coarse), public_key, info)


def open_payload(
    sealed: bytes, private_key: X25519PrivateKey, *, report_id: str, purpose: str
) -> bytes:
    """A padded payload, or one sealed before padding existed (returned as sealed)."""
    try:
        padded = hpke_open(
            sealed, private_key, associated_data("payload" + PADDED, report_id, purpose)
        )
    except CryptoError:
        return hpke_open(sealed, private_key, associated_data("payload", report_id, purpose))
    return unpad(padded)


# A student's thread message: its row's plaintext flags (`binding`) are bound into `info`,
# as `sealed_content.encrypt_message` binds them for the advisers' messages.
def seal_message(
    payload: bytes, public_key: bytes, *, report_id: str, message_id: str, binding: tuple[str, ...]
) -> bytes:
    info = associated_data("message", report_id, message_id, *binding)
    return hpke_seal(pad(payload), public_key, info)


def open_message(
    sealed: bytes,
    private_key: X25519PrivateKey,
    *,
    report_id: str,
    message_id: str,
    binding: tuple[str, ...],
) -> bytes:
    info = associated_data("message", report_id, message_id, *binding)
    return unpad(hpke_open(sealed, private_key, info, what="message"))


def _evaluation_info(evaluation_id: str, quote: bool) -> bytes:
    # "feedback": the label every stored copy was sealed under before the rename; a new
    # one would leave them unopenable.
    return associated_data("feedback", evaluation_id, "quote" if quote else "private")


def seal_evaluation(text: bytes, public_key: bytes, *, evaluation_id: str, quote: bool) -> bytes:
    """The student's evaluation after closing, HPKE to one reader (a network coordinator,
    or the recovery key), padded. `info` binds the row and the student's quote consent:
    a copy moved to another row, or a consent flag flipped in the database, fails to
    open."""
    return hpke_seal(pad(text), public_key, _evaluation_info(evaluation_id, quote))


def open_evaluation(
    sealed: bytes, private_key: X25519PrivateKey, *, evaluation_id: str, quote: bool
) -> bytes:
    info = _evaluation_info(evaluation_id, quote)
    return unpad(hpke_open(sealed, private_key, info, what="evaluation"))
