"""storage/crypto.py: every promise of the security model, one by one."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import threading

import pytest

from storage import crypto
from storage.crypto import CryptoError, KdfParams, ServerKey, kdf_thread
from vocabulary import format_receipt

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
    assert format_receipt("4821093755218804") == "4821 0937 5521 8804"


def test_adviser_private_key_needs_the_passphrase() -> None:
    private, public = crypto.generate_keypair()
    blob = crypto.protect_private_key(private, "lange wachtzin voor de adviseur", FAST)
    opened = crypto.unprotect_private_key(blob, "lange wachtzin voor de adviseur")
    assert crypto.public_bytes(opened) == public
    with pytest.raises(CryptoError):
        crypto.unprotect_private_key(blob, "verkeerde wachtzin")
    with pytest.raises(CryptoError):
        crypto.unprotect_private_key(b"not json", "x")
    assert b"lange wachtzin" not in blob
    assert crypto.private_key_to_text(private).split(": ")[1].encode() not in blob


def test_protected_key_header_is_authenticated_and_sane() -> None:
    private, _ = crypto.generate_keypair()
    blob = json.loads(crypto.protect_private_key(private, "wachtzin", FAST))
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
            crypto.unprotect_private_key(bad, "wachtzin")


def test_kdf_params_default_to_rfc9106_second_profile_and_reject_nonsense() -> None:
    assert KdfParams() == KdfParams(iterations=3, lanes=4, memory_kib=65536)
    with pytest.raises(ValueError):
        KdfParams(iterations=0)
    with pytest.raises(ValueError):
        KdfParams(lanes=4, memory_kib=16)


def test_recovery_key_text_round_trips_and_catches_typos() -> None:
    private, public = crypto.generate_keypair()
    text = crypto.private_key_to_text(private)
    assert text.startswith("stagemeld-recovery-key-v1: ") and "\n" not in text
    assert crypto.public_bytes(crypto.private_key_from_text(text)) == public
    # retyped from paper: other line breaks, lower case, dashes instead of spaces
    body = text.split(": ", 1)[1]
    retyped = "stagemeld-recovery-key-v1:\n" + body.lower().replace(" ", "-")
    assert crypto.public_bytes(crypto.private_key_from_text(retyped)) == public
    assert crypto.public_bytes(crypto.private_key_from_text(body)) == public  # header optional
    typo = body.replace(body[0], "A" if body[0] != "A" else "B", 1)
    with pytest.raises(CryptoError, match="mistyped"):
        crypto.private_key_from_text(typo)
    with pytest.raises(CryptoError):
        crypto.private_key_from_text("stagemeld-recovery-key-v1:@@@")
    with pytest.raises(CryptoError):
        crypto.private_key_from_text(body[:-4])


def test_server_key_chat_hash_and_state() -> None:
    server = ServerKey(b"k" * 32)
    key = server.chat_key("telegram", "4242")
    assert key == ServerKey(b"k" * 32).chat_key("telegram", "4242")
    assert key != server.chat_key("web", "4242")
    assert key != ServerKey(b"j" * 32).chat_key("telegram", "4242")
    assert "4242" not in key and len(key) == 64
    with pytest.raises(ValueError):
        ServerKey(b"short")


def test_a_draft_needs_its_key_file_and_the_chat_id_and_hides_its_length() -> None:
    """Issue 10, findings 1 and 9: the draft key binds the file's secret, the chat hash
    and the chat id; drafts of different lengths in one bucket seal to one length."""
    secret, chat_key = crypto.new_draft_secret(), "ab" * 32
    key = crypto.draft_key(secret, chat_key, b"4242")
    blob = crypto.seal_draft(key, b'{"step":"story"}', chat_key=chat_key)
    assert crypto.open_draft(key, blob, chat_key=chat_key) == b'{"step":"story"}'
    for other in (
        crypto.draft_key(secret, chat_key, b"4243"),
        crypto.draft_key(crypto.new_draft_secret(), chat_key, b"4242"),
    ):
        with pytest.raises(CryptoError):
            crypto.open_draft(other, blob, chat_key=chat_key)
    with pytest.raises(CryptoError):
        crypto.open_draft(key, blob, chat_key="cd" * 32)
    longer = crypto.seal_draft(key, b'{"step":"story","story":["ja"]}', chat_key=chat_key)
    assert len(longer) == len(blob)


def test_server_key_values_are_bound_to_their_purpose() -> None:
    server = ServerKey(b"k" * 32)
    blob = server.seal_value(b"4242", purpose="push-chat-id:r1")
    assert server.open_value(blob, purpose="push-chat-id:r1") == b"4242"
    assert b"4242" not in blob
    with pytest.raises(CryptoError):
        server.open_value(blob, purpose="push-chat-id:r2")


def test_chat_key_is_unambiguous() -> None:
    server = ServerKey(b"k" * 32)
    assert server.chat_key("tele", "gram1") != server.chat_key("telegram", "1")
    assert server.chat_key("a\x00b", "c") != server.chat_key("a", "b\x00c")


def test_associated_data_cannot_be_confused_across_boundaries() -> None:
    key = crypto.new_data_key()
    blob = crypto.encrypt_field(key, b"x", report_id="r1|story", field="x")
    with pytest.raises(CryptoError):
        crypto.decrypt_field(key, blob, report_id="r1", field="story|x")


def test_nonces_are_fresh() -> None:
    key = crypto.new_data_key()
    blobs = {crypto.encrypt_field(key, b"same", report_id="r", field="f") for _ in range(50)}
    assert len({b[:12] for b in blobs}) == 50


def test_sealed_key_does_not_contain_the_data_key() -> None:
    data_key = crypto.new_data_key()
    _, public = crypto.generate_keypair()
    sealed = crypto.seal_key(data_key, public, report_id="r1")
    assert data_key not in sealed
    assert sealed != crypto.seal_key(data_key, public, report_id="r1")  # fresh ephemeral key


def test_receipt_keys_are_independent_and_the_lookup_opens_nothing() -> None:
    derived = crypto.derive_receipt_keys("0000000000000042", SALT, FAST)
    assert len(derived.lookup) == len(derived.wrap_key) == 32
    assert derived.lookup != derived.wrap_key
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), derived.wrap_key, report_id="r")
    with pytest.raises(CryptoError):
        crypto.unwrap_data_key(wrapped, derived.lookup, report_id="r")


def test_receipts_may_start_with_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto.secrets, "randbelow", lambda n: 42)  # type: ignore[attr-defined]
    assert crypto.generate_receipt() == "0000000000000042"
    assert format_receipt("0000000000000042") == "0000 0000 0000 0042"


def test_no_other_storage_module_touches_a_primitive() -> None:
    """All crypto in storage/crypto.py: the one file a reviewer must read."""
    import re
    from pathlib import Path

    storage_dir = Path(crypto.__file__).parent
    primitive = re.compile(
        r"^\s*(from|import)\s+(hashlib|hmac|"
        r"cryptography\.hazmat\.primitives(\s+import|\.(ciphers|kdf|hpke|hashes|hmac|serialization)))",
        re.MULTILINE,
    )
    key_material = re.compile(r"\bos\.urandom\b|^\s*from\s+os\s+import\s+.*\burandom\b", re.M)
    offenders = [
        p.name
        for p in storage_dir.rglob("*.py")
        if p.name != "crypto.py"
        and (primitive.search(text := p.read_text(encoding="utf-8")) or key_material.search(text))
    ]
    assert offenders == []
    assert primitive.search((storage_dir / "crypto.py").read_text(encoding="utf-8"))


def test_payload_sealed_to_a_report_opens_only_there() -> None:
    private, public = crypto.generate_keypair()
    other, _ = crypto.generate_keypair()
    sealed = crypto.seal_payload(b"photo bytes", public, report_id="r1", purpose="m1")
    assert crypto.open_payload(sealed, private, report_id="r1", purpose="m1") == b"photo bytes"
    for kwargs in ({"report_id": "r2", "purpose": "m1"}, {"report_id": "r1", "purpose": "m2"}):
        with pytest.raises(crypto.CryptoError):
            crypto.open_payload(sealed, private, **kwargs)
    with pytest.raises(crypto.CryptoError):
        crypto.open_payload(sealed, other, report_id="r1", purpose="m1")


def test_private_key_bytes_round_trip() -> None:
    private, public = crypto.generate_keypair()
    again = crypto.private_key_from_bytes(crypto.private_key_bytes(private))
    assert crypto.public_bytes(again) == public
    with pytest.raises(crypto.CryptoError):
        crypto.private_key_from_bytes(b"short")


def test_tokens_are_stored_only_as_hashes() -> None:
    token = crypto.new_token()
    assert len(token) >= 43 and token != crypto.new_token()
    assert crypto.token_hash(token) == crypto.token_hash(token)
    assert token.encode() not in crypto.token_hash(token)
    assert crypto.token_hash(token) != crypto.token_hash(token + "x")


def test_audit_mac_is_keyed_and_chained() -> None:
    a, b = crypto.ServerKey(b"a" * 32), crypto.ServerKey(b"b" * 32)
    first = a.audit_mac(b"", b"entry-1")
    assert first != b.audit_mac(b"", b"entry-1")  # a database-only attacker can't recompute
    assert a.audit_mac(first, b"entry-2") != a.audit_mac(b"", b"entry-2")  # depends on the chain
    assert len(first) == 32


def test_concurrent_receipt_derivations_all_finish_with_the_right_keys() -> None:
    """Status checks and filings derive in worker threads at the same time. With several
    lanes, cryptography's Argon2id shares OpenSSL's capped thread pool, and two
    derivations at once used to wait for each other forever (or one failed with a
    spurious MemoryError). Lanes > 1 is what the shipped cost uses; memory is kept small.
    The timeout only stops a hung test; it is no speed goal."""
    params = KdfParams(iterations=1, lanes=4, memory_kib=1024)
    codes = [f"{i:016d}" for i in range(6)]
    expected = {c: crypto.derive_receipt_keys(c, SALT, params) for c in codes}
    results: dict[str, crypto.ReceiptKeys] = {}
    errors: list[BaseException] = []

    def derive(code: str) -> None:
        try:
            results[code] = crypto.derive_receipt_keys(code, SALT, params)
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


def test_matching_tags_are_keyed_and_separate_names_from_kvk_numbers() -> None:
    one = crypto.MatchingKey("k1", bytes(range(32)))
    same = crypto.MatchingKey("k9", bytes(range(32)))
    other = crypto.MatchingKey("k1", bytes(32))
    tag = one.tag("name", "albert heyn")
    assert len(tag) == 32 and tag == same.tag("name", "albert heyn")  # the id is a label
    assert tag != other.tag("name", "albert heyn")  # another key: nothing in common
    assert tag != one.tag("kvk", "albert heyn") != one.tag("name", "albert heyn bv")
    with pytest.raises(ValueError):
        crypto.MatchingKey("k1", b"short")


def test_a_shared_company_name_opens_only_for_its_coordinator_pattern_and_report() -> None:
    coordinator, public = crypto.generate_keypair()
    stranger, _ = crypto.generate_keypair()
    sealed = crypto.seal_shared_name("Albert Heijn B.V.", public, pattern_id="p1", report_id="r1")
    assert b"Albert" not in sealed
    assert (
        crypto.open_shared_name(sealed, coordinator, pattern_id="p1", report_id="r1")
        == "Albert Heijn B.V."
    )
    for key, pattern, report in ((stranger, "p1", "r1"), (coordinator, "p2", "r1"),
                                 (coordinator, "p1", "r2")):  # fmt: skip
        with pytest.raises(crypto.CryptoError):
            crypto.open_shared_name(sealed, key, pattern_id=pattern, report_id=report)


def test_a_webhook_signature_matches_only_its_exact_body_and_secret() -> None:
    import hashlib
    import hmac

    body = b'{"object":"whatsapp_business_account","x":"\\u00e9"}'
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert crypto.webhook_signature_matches(b"secret", body, good)
    assert crypto.webhook_signature_matches(
        b"secret", body, good.upper().replace("SHA256", "sha256")
    )
    assert not crypto.webhook_signature_matches(b"other", body, good)
    assert not crypto.webhook_signature_matches(b"secret", body + b" ", good)
    assert not crypto.webhook_signature_matches(b"secret", body, None)
    assert not crypto.webhook_signature_matches(b"secret", body, good.replace("sha256=", "sha1="))
    assert not crypto.webhook_signature_matches(b"secret", body, "sha256=")
