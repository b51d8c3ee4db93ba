"""The key directory: created once with tight permissions, never overwritten."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.crypto import hpke_seal, private_keys
from storage.crypto.keys import KeysBroken, KeysMissing, KeyStore
from tests.support.storage_backends import FAST


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_private_files_and_load_round_trips(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "keys"
    keys, recovery_text = KeyStore.init(directory, FAST)
    assert mode(directory) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == [
        "receipt.json",
        "recovery.pub",
        "server.key",
    ]
    assert all(mode(p) == 0o600 for p in directory.iterdir())
    assert len((directory / "server.key").read_bytes()) == 32

    loaded = KeyStore.load(directory)
    assert loaded.recovery_public == keys.recovery_public
    assert loaded.receipt_salt == keys.receipt_salt and len(loaded.receipt_salt) == 16
    assert loaded.kdf == FAST and loaded.dir == directory
    assert loaded.server.chat_key("telegram", "1") == keys.server.chat_key("telegram", "1")

    # the printed recovery key is the private half of recovery.pub, and is not on disk
    recovery = private_keys.private_key_from_text(recovery_text)
    assert hpke_seal.public_bytes(recovery) == keys.recovery_public
    raw = recovery.private_bytes_raw()
    for path in directory.iterdir():
        data = path.read_bytes()
        assert raw not in data and recovery_text.encode() not in data


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    first, _ = KeyStore.init(tmp_path, FAST)
    with pytest.raises(FileExistsError):
        KeyStore.init(tmp_path, FAST)
    assert KeyStore.load(tmp_path).recovery_public == first.recovery_public


def test_each_install_gets_its_own_keys(tmp_path: Path) -> None:
    a, _ = KeyStore.init(tmp_path / "a", FAST)
    b, _ = KeyStore.init(tmp_path / "b", FAST)
    assert a.receipt_salt != b.receipt_salt and a.recovery_public != b.recovery_public
    assert a.server.chat_key("telegram", "1") != b.server.chat_key("telegram", "1")


def test_missing_keys_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(KeysMissing, match="stagemeld keys init"):
        KeyStore.load(tmp_path / "nowhere")
    with pytest.raises(KeysMissing):
        KeyStore.load(tmp_path)


def test_partial_or_damaged_keys_are_not_mistaken_for_missing(tmp_path: Path) -> None:
    KeyStore.init(tmp_path, FAST)
    os.remove(tmp_path / "recovery.pub")
    with pytest.raises(KeysBroken, match=r"recovery\.pub"):
        KeyStore.load(tmp_path)
    assert not issubclass(KeysBroken, KeysMissing)

    other = tmp_path / "other"
    KeyStore.init(other, FAST)
    os.chmod(other / "server.key", 0o600)
    (other / "server.key").write_bytes(b"too short")
    with pytest.raises(KeysBroken, match="wrong length"):
        KeyStore.load(other)

    third = tmp_path / "third"
    KeyStore.init(third, FAST)
    (third / "receipt.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(KeysBroken):
        KeyStore.load(third)
