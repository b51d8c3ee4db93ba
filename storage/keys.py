"""The server's keys on disk: created once, loaded at every start.

Kept out of the database on purpose: a stolen database or its backup must not carry
the key that opens conversation drafts or computes chat hashes.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from storage.crypto import KdfParams, ServerKey, generate_keypair, private_key_to_text

SERVER = "server.key"
RECOVERY = "recovery.pub"
RECEIPT = "receipt.json"


class KeysMissing(Exception):
    """No keys yet in that directory: run `stagemeld keys init` (or start once)."""


@dataclass(frozen=True)
class KeyStore:
    dir: Path
    server: ServerKey
    recovery_public: bytes
    receipt_salt: bytes
    kdf: KdfParams

    @classmethod
    def load(cls, directory: Path) -> KeyStore:
        paths = [directory / name for name in (SERVER, RECOVERY, RECEIPT)]
        missing = [p.name for p in paths if not p.exists()]
        if len(missing) == len(paths):
            raise KeysMissing(f"no keys in {directory}; run `stagemeld keys init`")
        if missing:
            raise KeysMissing(f"{directory} lacks {', '.join(missing)}; restore it from backup")
        receipt = json.loads((directory / RECEIPT).read_text(encoding="utf-8"))
        return cls(
            dir=directory,
            server=ServerKey((directory / SERVER).read_bytes()),
            recovery_public=base64.b64decode((directory / RECOVERY).read_text(encoding="ascii")),
            receipt_salt=base64.b64decode(receipt["salt"]),
            kdf=KdfParams(**receipt["kdf"]),
        )

    @classmethod
    def init(cls, directory: Path, params: KdfParams) -> tuple[KeyStore, str]:
        """Create every key; return the recovery private key as text, to be shown once."""
        if any((directory / n).exists() for n in (SERVER, RECOVERY, RECEIPT)):
            raise FileExistsError(f"keys already exist in {directory}")
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)
        recovery_private, recovery_public = generate_keypair()
        receipt = {"salt": base64.b64encode(os.urandom(16)).decode(), "kdf": asdict(params)}
        _write(directory / SERVER, os.urandom(32))
        _write(directory / RECOVERY, base64.b64encode(recovery_public))
        _write(directory / RECEIPT, json.dumps(receipt, indent=2).encode())
        return cls.load(directory), private_key_to_text(recovery_private)


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
