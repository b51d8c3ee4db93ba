"""All of stagemeld's key material and cryptography: the crypto room.

Built from `cryptography` primitives: AES-256-GCM for content, HPKE (RFC 9180) to seal
per-report data keys to advisers and the recovery key, HKDF and HMAC for sub-keys and
the chat hash; Argon2id from argon2-cffi (the reference implementation, which derives
concurrently) to turn receipt codes and passphrases into keys; pyotp for the second
factor. Associated data binds every ciphertext to where it belongs, so nothing can be
moved from one report, field or chat to another without failing to decrypt.

Only the modules of this room touch a primitive — no cipher, hash, MAC, KDF, random
token or constant-time compare anywhere else (tests/unit/storage/test_primitives.py checks), and
within the room only the primitive modules below do, the key files calling them
(tests/unit/storage/test_crypto.py checks): a reviewer reads these to check every promise of the
security model. No names are re-exported here: callers import the module that does
the job.

The primitives, one job per module
- `aead`: AES-256-GCM sealing, the associated data that binds it, `CryptoError`.
- `padding`: content padding to fixed size buckets before anything is sealed.
- `sealed_content`: a report's data key, its fields and the advisers' messages under it.
- `hpke_seal`: HPKE to a public key: data keys, the student's payloads, messages and
  evaluations; key pairs.
- `kdf`: Argon2id (and on how many threads) and HKDF sub-keys.
- `receipt_keys`: the receipt code and the two keys derived from it.
- `private_keys`: private keys at rest: raw, on paper (recovery key), under a passphrase.
- `tokens`: random tokens, ids and references; a token's stored hash; comparing tokens.
- `console_session`: a console session's lookup, CSRF token and sealed key, from its cookie.
- `server_key`: the server's own key (chat hash, audit MACs, key bindings, enrolment
  links, small values).
- `webhook_signature`: Meta's webhook signature, checked in constant time.
- `sealed_drafts`: a draft's key, from its shreddable key file, and sealing the draft.
- `ephemeral`: keys held in memory only (the reply token, in-memory counters' names).
- `second_factor`: advisers' TOTP and their recovery code.
- `matching`: keyed hashes of company names, and a name shared with a coordinator.

The key files and their use
- `keys`: the server's key files (server secret, recovery public key, receipt salt).
- `draft_keys`: one shreddable key file per live conversation.
- `matching_keys`: the matching keys (keys.dir/matching) for company patterns, rotated.
- `audit_anchor`: the audit chain's head, anchored in keys.dir outside the database.
- `files`: durable steps on those files (flushing a directory, times set to the hour).
- `sealed_keys`: copies of a report's data key sealed to its readers, and opening one.
- `thread`: how a report's messages and files are sealed, for both sides.
- `proofs`: MACs proving the service wrote a thread entry, file, evaluation or consent.
- `kdf_thread`: which thread runs an Argon2id derivation — scheduling, not cryptography.
"""
