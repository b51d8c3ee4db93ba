"""The server's keys on disk: created once, loaded at every start.

Kept out of the database on purpose: a stolen database or its backup must not carry
the key that opens conversation drafts or computes chat hashes. The recovery key's
private half is not here at all; `init` returns it once for the operator to keep offline.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from storage.crypto.aead import KEY_LEN
from storage.crypto.hpke_seal import generate_keypair
from storage.crypto.kdf import SALT_LEN, KdfParams, new_salt
from storage.crypto.private_keys import private_key_to_text
from storage.crypto.server_key import ServerKey, new_server_secret
from storage.db.private_files import private_dir

SERVER = "server.key"
RECOVERY = "recovery.pub"
RECEIPT = "receipt.json"
FILES = (SERVER, RECOVERY, RECEIPT)
AUDIT_HEAD = (
    "audit.head"  # written after every audit append (storage.repositories.audit), not by init
)


class KeysMissing(Exception):
    """No keys in that directory yet: run `stagemeld keys init` (or start once)."""


class KeysBroken(Exception):
    """Some key files exist but not all, or one is unreadable: restore, don't re-create.

    Deliberately not a `KeysMissing`: creating fresh keys here would make every stored
    report and conversation unreadable, so start-up must stop and say so.
    """


@dataclass(frozen=True)
class KeyStore:
    dir: Path
    server: ServerKey
    recovery_public: bytes
    receipt_salt: bytes
    kdf: KdfParams

    @classmethod
    def load(cls, directory: Path) -> KeyStore:
        directory = Path(directory)
        missing = [name for name in FILES if not (directory / name).exists()]
        if len(missing) == len(FILES):
            raise KeysMissing(
                f"no keys in {directory}: run `stagemeld keys init` to create them "
                "(it prints the recovery key once; keep it offline)"
            )
        if missing:
            raise KeysBroken(
                f"{directory} lacks {', '.join(missing)}: restore the key directory from "
                "backup; new keys would make existing reports and drafts unreadable"
            )
        try:
            secret = (directory / SERVER).read_bytes()
            recovery = base64.b64decode((directory / RECOVERY).read_bytes().strip(), validate=True)
            receipt = json.loads((directory / RECEIPT).read_text(encoding="utf-8"))
            salt = base64.b64decode(receipt["salt"], validate=True)
            kdf = KdfParams(**receipt["kdf"])
        except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise KeysBroken(f"cannot read the keys in {directory}: {exc}") from exc
        if len(secret) != KEY_LEN or len(recovery) != KEY_LEN or len(salt) != SALT_LEN:
            raise KeysBroken(f"a key file in {directory} has the wrong length; restore it")
        server = ServerKey(secret, audit_anchor=directory / AUDIT_HEAD)
        return cls(directory, server, recovery, salt, kdf)

    @classmethod
    def init(cls, directory: Path, params: KdfParams) -> tuple[KeyStore, str]:
        """Create every key; return the recovery private key as text, to be shown once.

        Refuses (FileExistsError) if any key file is already there: overwriting keys
        would orphan every report. The receipt salt and Argon2id cost are fixed here for
        good, because receipts are found by what they derive.
        """
        directory = Path(directory)
        if any((directory / name).exists() for name in FILES):
            raise FileExistsError(f"keys already exist in {directory}; nothing changed")
        private_dir(directory)  # and every missing parent (var/): 0700
        os.chmod(directory, 0o700)
        recovery_private, recovery_public = generate_keypair()
        receipt = {"salt": base64.b64encode(new_salt()).decode(), "kdf": asdict(params)}
        _write(directory / RECEIPT, json.dumps(receipt, indent=2).encode() + b"\n")
        _write(directory / RECOVERY, base64.b64encode(recovery_public) + b"\n")
        _write(directory / SERVER, new_server_secret())
        return cls.load(directory), private_key_to_text(recovery_private)


def _write(path: Path, data: bytes) -> None:
    """Create-only (O_EXCL), 0600 from the start: never a moment with looser permissions."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
