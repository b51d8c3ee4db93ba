"""storage/crypto/: the keys people hold — receipts, passphrases, the recovery key — and
the Argon2id derivations behind them, with the threads they run on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import threading

import pytest

from storage.crypto import (
    aead,
    hpke_seal,
    kdf_thread,
    private_keys,
    receipt_keys,
    sealed_content,
)
from storage.crypto.aead import CryptoError
from storage.crypto.kdf import KdfParams
from vocabulary import format_receipt

FAST = KdfParams(iterations=1, lanes=1, memory_kib=1024)
SALT = b"s" * 16


def test_receipt_unlocks_only_its_own_report() -> None:
    code, other = receipt_keys.generate_receipt(), receipt_keys.generate_receipt()
    mine = receipt_keys.derive_receipt_keys(code, SALT, FAST)
    theirs = receipt_keys.derive_receipt_keys(other, SALT, FAST)
    assert mine.lookup != theirs.lookup and mine.lookup != mine.wrap_key
    assert receipt_keys.derive_receipt_keys(code, SALT, FAST) == mine  # deterministic lookup
    data_key = sealed_content.new_data_key()
    wrapped = receipt_keys.wrap_data_key(data_key, mine.wrap_key, report_id="r1")
    assert receipt_keys.unwrap_data_key(wrapped, mine.wrap_key, report_id="r1") == data_key
    with pytest.raises(CryptoError):
        receipt_keys.unwrap_data_key(wrapped, theirs.wrap_key, report_id="r1")
    with pytest.raises(CryptoError):
        receipt_keys.unwrap_data_key(wrapped, mine.wrap_key, report_id="r2")


def test_receipt_depends_on_the_salt() -> None:
    code = receipt_keys.generate_receipt()
    a = receipt_keys.derive_receipt_keys(code, SALT, FAST)
    b = receipt_keys.derive_receipt_keys(code, b"t" * 16, FAST)
    assert a.lookup != b.lookup


def test_receipt_codes_are_16_digits_and_vary() -> None:
    codes = {receipt_keys.generate_receipt() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 16 and c.isdigit() for c in codes)
    assert format_receipt("4821093755218804") == "4821 0937 5521 8804"


def test_adviser_private_key_needs_the_passphrase() -> None:
    private, public = hpke_seal.generate_keypair()
    blob = private_keys.protect_private_key(private, "lange wachtzin voor de adviseur", FAST)
    opened = private_keys.unprotect_private_key(blob, "lange wachtzin voor de adviseur")
    assert hpke_seal.public_bytes(opened) == public
    with pytest.raises(CryptoError):
        private_keys.unprotect_private_key(blob, "verkeerde wachtzin")
    with pytest.raises(CryptoError):
        private_keys.unprotect_private_key(b"not json", "x")
    assert b"lange wachtzin" not in blob
    assert private_keys.private_key_to_text(private).split(": ")[1].encode() not in blob


def test_protected_key_header_is_authenticated_and_sane() -> None:
    private, _ = hpke_seal.generate_keypair()
    blob = json.loads(private_keys.protect_private_key(private, "wachtzin", FAST))
    assert {"v", "kdf", "salt", "nonce", "ct"} <= set(blob)
    assert blob["kdf"] == {"iterations": 1, "lanes": 1, "memory_kib": 1024}

    def tampered(**changes: object) -> bytes:
        return json.dumps({**blob, **changes}).encode()

    other_salt = base64.b64encode(b"x" * 16).decode()
    for bad in (
        tampered(salt=other_salt),
        tampered(nonce=base64.b64encode(b"n" * 12).decode()),
        tampered(kdf={"iterations": 2, "lanes": 1, "memory_kib": 1024}),
        tampered(v=2),
        tampered(kdf={"iterations": 1, "lanes": 1, "memory_kib": 1 << 30}),  # 1 TiB: refused
        tampered(kdf={"iterations": 0, "lanes": 1, "memory_kib": 1024}),
        tampered(ct="%%%"),
        b"[]",
    ):
        with pytest.raises(CryptoError):
            private_keys.unprotect_private_key(bad, "wachtzin")


def test_kdf_params_default_to_rfc9106_second_profile_and_reject_nonsense() -> None:
    assert KdfParams() == KdfParams(iterations=3, lanes=4, memory_kib=65536)
    with pytest.raises(ValueError):
        KdfParams(iterations=0)
    with pytest.raises(ValueError):
        KdfParams(lanes=4, memory_kib=16)


def test_recovery_key_text_round_trips_and_catches_typos() -> None:
    private, public = hpke_seal.generate_keypair()
    text = private_keys.private_key_to_text(private)
    assert text.startswith("stagemeld-recovery-key-v1: ") and "\n" not in text
    assert hpke_seal.public_bytes(private_keys.private_key_from_text(text)) == public
    # retyped from paper: other line breaks, lower case, dashes instead of spaces
    body = text.split(": ", 1)[1]
    retyped = "stagemeld-recovery-key-v1:\n" + body.lower().replace(" ", "-")
    assert hpke_seal.public_bytes(private_keys.private_key_from_text(retyped)) == public
    assert (
        hpke_seal.public_bytes(private_keys.private_key_from_text(body)) == public
    )  # header optional
    typo = body.replace(body[0], "A" if body[0] != "A" else "B", 1)
    with pytest.raises(CryptoError, match="mistyped"):
        private_keys.private_key_from_text(typo)
    with pytest.raises(CryptoError):
        private_keys.private_key_from_text("stagemeld-recovery-key-v1:@@@")
    with pytest.raises(CryptoError):
        private_keys.private_key_from_text(body[:-4])


def test_receipt_keys_are_independent_and_the_lookup_opens_nothing() -> None:
    derived = receipt_keys.derive_receipt_keys("0000000000000042", SALT, FAST)
    assert len(derived.lookup) == len(derived.wrap_key) == 32
    assert derived.lookup != derived.wrap_key
    wrapped = receipt_keys.wrap_data_key(
        sealed_content.new_data_key(), derived.wrap_key, report_id="r"
    )
    with pytest.raises(CryptoError):
        receipt_keys.unwrap_data_key(wrapped, derived.lookup, report_id="r")


def test_receipts_may_start_with_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receipt_keys.secrets, "randbelow", lambda n: 42)  # type: ignore[attr-defined]
    assert receipt_keys.generate_receipt() == "0000000000000042"
    assert format_receipt("0000000000000042") == "0000 0000 0000 0042"


def test_private_key_bytes_round_trip() -> None:
    private, public = hpke_seal.generate_keypair()
    again = private_keys.private_key_from_bytes(private_keys.private_key_bytes(private))
    assert hpke_seal.public_bytes(again) == public
    with pytest.raises(aead.CryptoError):
        private_keys.private_key_from_bytes(b"short")


def test_concurrent_receipt_derivations_all_finish_with_the_right_keys() -> None:
    """Status checks and filings derive in worker threads at the same time. With several
    lanes, cryptography's Argon2id shares OpenSSL's capped thread pool, and two
    derivations at once used to wait for each other forever (or one failed with a
    spurious MemoryError). Lanes > 1 is what the shipped cost uses; memory is kept small.
    The timeout only stops a hung test; it is no speed goal."""
    params = KdfParams(iterations=1, lanes=4, memory_kib=1024)
    codes = [f"{i:016d}" for i in range(6)]
    expected = {c: receipt_keys.derive_receipt_keys(c, SALT, params) for c in codes}
    results: dict[str, receipt_keys.ReceiptKeys] = {}
    errors: list[BaseException] = []

    def derive(code: str) -> None:
        try:
            results[code] = receipt_keys.derive_receipt_keys(code, SALT, params)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=derive, args=(c,), daemon=True) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert not any(t.is_alive() for t in threads), "Argon2id derivations deadlocked"
    assert results == expected


async def test_kdf_work_leaves_the_default_executor_free() -> None:
    """Derivations queue on the KDF's own thread, so a burst of status checks cannot fill
    asyncio's default executor (which aiohttp needs for DNS on new connections)."""
    release = threading.Event()
    waiting = [asyncio.ensure_future(kdf_thread.in_kdf_thread(release.wait)) for _ in range(8)]
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(asyncio.to_thread(lambda: 1) for _ in range(40))), 30
        )
        assert results == [1] * 40
        assert not any(w.done() for w in waiting)  # still queued behind the first
    finally:
        release.set()
        await asyncio.gather(*waiting)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
async def test_the_kdf_thread_yields_the_cpu_to_the_event_loop() -> None:
    def my_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert await kdf_thread.in_kdf_thread(my_nice) == kdf_thread.KDF_NICENESS
    assert my_nice() != kdf_thread.KDF_NICENESS  # the loop's own thread keeps its priority


# --- company patterns: the matching key and names shared with a coordinator ------------
