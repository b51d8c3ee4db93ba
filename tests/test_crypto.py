"""storage/crypto.py: every promise of the security model, one by one."""

from __future__ import annotations

import pytest

from storage import crypto
from storage.crypto import CryptoError, KdfParams, ServerKey

FAST = KdfParams(iterations=1, lanes=1, memory_kib=1024)
SALT = b"s" * 16


def test_field_round_trip_and_wrong_key() -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt_field(key, b"het verhaal", report_id="r1", field="story")
    assert crypto.decrypt_field(key, blob, report_id="r1", field="story") == b"het verhaal"
    assert b"het verhaal" not in blob
    with pytest.raises(CryptoError):
        crypto.decrypt_field(crypto.new_data_key(), blob, report_id="r1", field="story")


def test_ciphertext_moved_to_another_report_or_field_fails() -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt_field(key, b"x", report_id="r1", field="story")
    with pytest.raises(CryptoError):
        crypto.decrypt_field(key, blob, report_id="r2", field="story")
    with pytest.raises(CryptoError):
        crypto.decrypt_field(key, blob, report_id="r1", field="workplace")


def test_tampered_or_truncated_ciphertext_fails() -> None:
    key = crypto.new_data_key()
    blob = bytearray(crypto.encrypt_field(key, b"abc", report_id="r", field="f"))
    blob[-1] ^= 1
    with pytest.raises(CryptoError):
        crypto.decrypt_field(key, bytes(blob), report_id="r", field="f")
    with pytest.raises(CryptoError):
        crypto.decrypt_field(key, b"short", report_id="r", field="f")


def test_hpke_seal_opens_only_with_the_right_key_and_report() -> None:
    data_key = crypto.new_data_key()
    private, public = crypto.generate_keypair()
    other, _ = crypto.generate_keypair()
    sealed = crypto.seal_key(data_key, public, report_id="r1")
    assert crypto.open_key(sealed, private, report_id="r1") == data_key
    with pytest.raises(CryptoError):
        crypto.open_key(sealed, other, report_id="r1")
    with pytest.raises(CryptoError):
        crypto.open_key(sealed, private, report_id="r2")


def test_receipt_unlocks_only_its_own_report() -> None:
    code, other = crypto.generate_receipt(), crypto.generate_receipt()
    mine = crypto.derive_receipt_keys(code, SALT, FAST)
    theirs = crypto.derive_receipt_keys(other, SALT, FAST)
    assert mine.lookup != theirs.lookup and mine.lookup != mine.wrap_key
    assert crypto.derive_receipt_keys(code, SALT, FAST) == mine  # deterministic lookup
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, mine.wrap_key, report_id="r1")
    assert crypto.unwrap_data_key(wrapped, mine.wrap_key, report_id="r1") == data_key
    with pytest.raises(CryptoError):
        crypto.unwrap_data_key(wrapped, theirs.wrap_key, report_id="r1")
    with pytest.raises(CryptoError):
        crypto.unwrap_data_key(wrapped, mine.wrap_key, report_id="r2")


def test_receipt_depends_on_the_salt() -> None:
    code = crypto.generate_receipt()
    a = crypto.derive_receipt_keys(code, SALT, FAST)
    b = crypto.derive_receipt_keys(code, b"t" * 16, FAST)
    assert a.lookup != b.lookup


def test_receipt_codes_are_16_digits_and_vary() -> None:
    codes = {crypto.generate_receipt() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 16 and c.isdigit() for c in codes)


def test_adviser_private_key_needs_the_passphrase() -> None:
    private, public = crypto.generate_keypair()
    blob = crypto.protect_private_key(private, "lange wachtzin voor de adviseur", FAST)
    opened = crypto.unprotect_private_key(blob, "lange wachtzin voor de adviseur")
    assert crypto.public_bytes(opened) == public
    with pytest.raises(CryptoError):
        crypto.unprotect_private_key(blob, "verkeerde wachtzin")
    with pytest.raises(CryptoError):
        crypto.unprotect_private_key(b"not json", "x")


def test_recovery_key_text_round_trips() -> None:
    private, public = crypto.generate_keypair()
    text = crypto.private_key_to_text(private)
    assert crypto.public_bytes(crypto.private_key_from_text(text)) == public
    spaced = " ".join(text[i : i + 8] for i in range(0, len(text), 8))
    assert crypto.public_bytes(crypto.private_key_from_text(spaced)) == public
    with pytest.raises(CryptoError):
        crypto.private_key_from_text("stagemeld-recovery-key-v1:@@@")


def test_server_key_chat_hash_and_state() -> None:
    server = ServerKey(b"k" * 32)
    key = server.chat_key("telegram", "4242")
    assert key == ServerKey(b"k" * 32).chat_key("telegram", "4242")
    assert key != server.chat_key("web", "4242")
    assert key != ServerKey(b"j" * 32).chat_key("telegram", "4242")
    assert "4242" not in key and len(key) == 64
    blob = server.seal_state(b'{"step":"story"}', chat_key=key)
    assert server.open_state(blob, chat_key=key) == b'{"step":"story"}'
    with pytest.raises(CryptoError):
        server.open_state(blob, chat_key=server.chat_key("telegram", "1"))
    with pytest.raises(CryptoError):
        ServerKey(b"j" * 32).open_state(blob, chat_key=key)
    with pytest.raises(ValueError):
        ServerKey(b"short")
