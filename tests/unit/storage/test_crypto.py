"""storage/crypto/: every promise of the security model, one by one."""

from __future__ import annotations

import pytest

from storage.crypto import (
    aead,
    hpke_seal,
    matching,
    sealed_content,
    sealed_drafts,
    server_key,
    tokens,
    webhook_signature,
)
from storage.crypto.aead import CryptoError
from storage.crypto.server_key import ServerKey


def test_field_round_trip_and_wrong_key() -> None:
    key = sealed_content.new_data_key()
    blob = sealed_content.encrypt_field(key, b"het verhaal", report_id="r1", field="story")
    assert sealed_content.decrypt_field(key, blob, report_id="r1", field="story") == b"het verhaal"
    assert b"het verhaal" not in blob
    with pytest.raises(CryptoError):
        sealed_content.decrypt_field(
            sealed_content.new_data_key(), blob, report_id="r1", field="story"
        )


def test_ciphertext_moved_to_another_report_or_field_fails() -> None:
    key = sealed_content.new_data_key()
    blob = sealed_content.encrypt_field(key, b"x", report_id="r1", field="story")
    with pytest.raises(CryptoError):
        sealed_content.decrypt_field(key, blob, report_id="r2", field="story")
    with pytest.raises(CryptoError):
        sealed_content.decrypt_field(key, blob, report_id="r1", field="workplace")


def test_tampered_or_truncated_ciphertext_fails() -> None:
    key = sealed_content.new_data_key()
    blob = bytearray(sealed_content.encrypt_field(key, b"abc", report_id="r", field="f"))
    blob[-1] ^= 1
    with pytest.raises(CryptoError):
        sealed_content.decrypt_field(key, bytes(blob), report_id="r", field="f")
    with pytest.raises(CryptoError):
        sealed_content.decrypt_field(key, b"short", report_id="r", field="f")


def test_hpke_seal_opens_only_with_the_right_key_and_report() -> None:
    data_key = sealed_content.new_data_key()
    private, public = hpke_seal.generate_keypair()
    other, _ = hpke_seal.generate_keypair()
    sealed = hpke_seal.seal_key(data_key, public, report_id="r1")
    assert hpke_seal.open_key(sealed, private, report_id="r1") == data_key
    with pytest.raises(CryptoError):
        hpke_seal.open_key(sealed, other, report_id="r1")
    with pytest.raises(CryptoError):
        hpke_seal.open_key(sealed, private, report_id="r2")


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
    """A disk copy alone opens no draft, nor tells its length: the draft key binds the
    file's secret, the chat hash and the chat id; drafts of different lengths in one
    bucket seal to one length."""
    secret, chat_key = sealed_drafts.new_draft_secret(), "ab" * 32
    key = sealed_drafts.draft_key(secret, chat_key, b"4242")
    blob = sealed_drafts.seal_draft(key, b'{"step":"story"}', chat_key=chat_key)
    assert sealed_drafts.open_draft(key, blob, chat_key=chat_key) == b'{"step":"story"}'
    for other in (
        sealed_drafts.draft_key(secret, chat_key, b"4243"),
        sealed_drafts.draft_key(sealed_drafts.new_draft_secret(), chat_key, b"4242"),
    ):
        with pytest.raises(CryptoError):
            sealed_drafts.open_draft(other, blob, chat_key=chat_key)
    with pytest.raises(CryptoError):
        sealed_drafts.open_draft(key, blob, chat_key="cd" * 32)
    longer = sealed_drafts.seal_draft(key, b'{"step":"story","story":["ja"]}', chat_key=chat_key)
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
    key = sealed_content.new_data_key()
    blob = sealed_content.encrypt_field(key, b"x", report_id="r1|story", field="x")
    with pytest.raises(CryptoError):
        sealed_content.decrypt_field(key, blob, report_id="r1", field="story|x")


def test_nonces_are_fresh() -> None:
    key = sealed_content.new_data_key()
    blobs = {
        sealed_content.encrypt_field(key, b"same", report_id="r", field="f") for _ in range(50)
    }
    assert len({b[:12] for b in blobs}) == 50


def test_sealed_key_does_not_contain_the_data_key() -> None:
    data_key = sealed_content.new_data_key()
    _, public = hpke_seal.generate_keypair()
    sealed = hpke_seal.seal_key(data_key, public, report_id="r1")
    assert data_key not in sealed
    assert sealed != hpke_seal.seal_key(data_key, public, report_id="r1")  # fresh ephemeral key


# The crypto room's modules that build on the primitives; the key files beside them
# (keys, draft_keys, sealed_keys, ...) only call these.
PRIMITIVE_MODULES = {
    "aead.py",
    "padding.py",
    "sealed_content.py",
    "hpke_seal.py",
    "kdf.py",
    "receipt_keys.py",
    "private_keys.py",
    "tokens.py",
    "console_session.py",
    "server_key.py",
    "webhook_signature.py",
    "sealed_drafts.py",
    "ephemeral.py",
    "second_factor.py",
    "matching.py",
}


def test_no_other_storage_module_touches_a_primitive() -> None:
    """All crypto in storage/crypto/'s primitive modules: what a reviewer must read."""
    import re
    from pathlib import Path

    crypto_dir = Path(aead.__file__).parent
    storage_dir = crypto_dir.parent
    primitive = re.compile(
        r"^\s*(from|import)\s+(hashlib|hmac|"
        r"cryptography\.hazmat\.primitives(\s+import|\.(ciphers|kdf|hpke|hashes|hmac|serialization)))",
        re.MULTILINE,
    )
    key_material = re.compile(r"\bos\.urandom\b|^\s*from\s+os\s+import\s+.*\burandom\b", re.M)
    offenders = [
        str(p.relative_to(storage_dir))
        for p in storage_dir.rglob("*.py")
        if not (p.parent == crypto_dir and p.name in PRIMITIVE_MODULES)
        and (primitive.search(text := p.read_text(encoding="utf-8")) or key_material.search(text))
    ]
    assert offenders == []
    assert primitive.search((crypto_dir / "aead.py").read_text(encoding="utf-8"))


def test_payload_sealed_to_a_report_opens_only_there() -> None:
    private, public = hpke_seal.generate_keypair()
    other, _ = hpke_seal.generate_keypair()
    sealed = hpke_seal.seal_payload(b"photo bytes", public, report_id="r1", purpose="m1")
    assert hpke_seal.open_payload(sealed, private, report_id="r1", purpose="m1") == b"photo bytes"
    for kwargs in ({"report_id": "r2", "purpose": "m1"}, {"report_id": "r1", "purpose": "m2"}):
        with pytest.raises(aead.CryptoError):
            hpke_seal.open_payload(sealed, private, **kwargs)
    with pytest.raises(aead.CryptoError):
        hpke_seal.open_payload(sealed, other, report_id="r1", purpose="m1")


def test_tokens_are_stored_only_as_hashes() -> None:
    token = tokens.new_token()
    assert len(token) >= 43 and token != tokens.new_token()
    assert tokens.token_hash(token) == tokens.token_hash(token)
    assert token.encode() not in tokens.token_hash(token)
    assert tokens.token_hash(token) != tokens.token_hash(token + "x")


def test_audit_mac_is_keyed_and_chained() -> None:
    a, b = server_key.ServerKey(b"a" * 32), server_key.ServerKey(b"b" * 32)
    first = a.audit_mac(b"", b"entry-1")
    assert first != b.audit_mac(b"", b"entry-1")  # a database-only attacker can't recompute
    assert a.audit_mac(first, b"entry-2") != a.audit_mac(b"", b"entry-2")  # depends on the chain
    assert len(first) == 32


def test_matching_tags_are_keyed_and_separate_names_from_kvk_numbers() -> None:
    one = matching.MatchingKey("k1", bytes(range(32)))
    same = matching.MatchingKey("k9", bytes(range(32)))
    other = matching.MatchingKey("k1", bytes(32))
    tag = one.tag("name", "albert heyn")
    assert len(tag) == 32 and tag == same.tag("name", "albert heyn")  # the id is a label
    assert tag != other.tag("name", "albert heyn")  # another key: nothing in common
    assert tag != one.tag("kvk", "albert heyn") != one.tag("name", "albert heyn bv")
    with pytest.raises(ValueError):
        matching.MatchingKey("k1", b"short")


def test_a_shared_company_name_opens_only_for_its_coordinator_pattern_and_report() -> None:
    coordinator, public = hpke_seal.generate_keypair()
    stranger, _ = hpke_seal.generate_keypair()
    sealed = matching.seal_shared_name("Albert Heijn B.V.", public, pattern_id="p1", report_id="r1")
    assert b"Albert" not in sealed
    assert (
        matching.open_shared_name(sealed, coordinator, pattern_id="p1", report_id="r1")
        == "Albert Heijn B.V."
    )
    for key, pattern, report in ((stranger, "p1", "r1"), (coordinator, "p2", "r1"),
                                 (coordinator, "p1", "r2")):  # fmt: skip
        with pytest.raises(aead.CryptoError):
            matching.open_shared_name(sealed, key, pattern_id=pattern, report_id=report)


def test_a_webhook_signature_matches_only_its_exact_body_and_secret() -> None:
    import hashlib
    import hmac

    body = b'{"object":"whatsapp_business_account","x":"\\u00e9"}'
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert webhook_signature.webhook_signature_matches(b"secret", body, good)
    assert webhook_signature.webhook_signature_matches(
        b"secret", body, good.upper().replace("SHA256", "sha256")
    )
    assert not webhook_signature.webhook_signature_matches(b"other", body, good)
    assert not webhook_signature.webhook_signature_matches(b"secret", body + b" ", good)
    assert not webhook_signature.webhook_signature_matches(b"secret", body, None)
    assert not webhook_signature.webhook_signature_matches(
        b"secret", body, good.replace("sha256=", "sha1=")
    )
    assert not webhook_signature.webhook_signature_matches(b"secret", body, "sha256=")
