"""Unit tests of storage/crypto/: sealing, key derivation, key and draft-key files."""
