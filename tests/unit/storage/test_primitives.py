"""Only the crypto room touches a primitive, checked on every file of the application.

`cryptography`, `argon2`, `hmac`, `secrets`, `hashlib` and `pyotp` are imported in
`storage/crypto/` and nowhere else, and nothing else draws from `os.urandom`: a random
token, a keyed hash or a constant-time compare the rest of the code needs is a small,
named function there (`tokens`, `ephemeral`, ...). A reviewer then reads one room to
check every promise of the security model, and a new use of a primitive elsewhere
fails here with its file and line. (Tests, the benchmarks and the stand-ins play the
attacker or the other side, and may use primitives of their own.)
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHECKED = ("bot", "dialogues", "storage", "escalation", "vocabulary")
CRYPTO_ROOM = ROOT / "storage" / "crypto"
PRIMITIVES = frozenset({"cryptography", "argon2", "hmac", "secrets", "hashlib", "pyotp"})
URANDOM = "os.urandom"


def primitive_imports(source: str, where: str) -> list[str]:
    """ "<where>:<line> uses <module>" for every import of a primitive and every use of
    `os.urandom`, at any depth (inside a function or `if TYPE_CHECKING:` too), in the
    order of the source."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if _draws_from_urandom(node):
            names = [URANDOM]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend(
            (node.lineno, name)  # type: ignore[attr-defined]
            for name in names
            if name == URANDOM or name.partition(".")[0] in PRIMITIVES
        )
    return [f"{where}:{line} uses {name}" for line, name in sorted(found)]


def _draws_from_urandom(node: ast.AST) -> bool:
    """`os.urandom` is a primitive too: key material comes from the room's `new_key`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "urandom" and isinstance(node.value, ast.Name) and node.value.id == "os"
    if isinstance(node, ast.ImportFrom):
        return node.module == "os" and any(alias.name == "urandom" for alias in node.names)
    return False


def outside_the_room() -> list[Path]:
    return [
        path
        for package in CHECKED
        for path in sorted((ROOT / package).rglob("*.py"))
        if not path.is_relative_to(CRYPTO_ROOM)
    ]


def test_only_the_crypto_room_imports_a_primitive() -> None:
    files = outside_the_room()
    assert len(files) > 50  # the walk found the application, not an empty directory
    offenders = [
        found
        for path in files
        for found in primitive_imports(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert offenders == []


def test_the_crypto_room_does_import_them() -> None:
    """The guard looks where the primitives really are (it is not blind to them)."""
    inside = [
        found
        for path in sorted(CRYPTO_ROOM.glob("*.py"))
        for found in primitive_imports(path.read_text(encoding="utf-8"), path.name)
    ]
    for name in PRIMITIVES:
        assert any(line.endswith(f" uses {name}") or f" uses {name}." in line for line in inside), (
            name
        )


def test_the_guard_sees_a_forbidden_import() -> None:
    source = """
import os
import hashlib as h
from hmac import compare_digest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from storage.crypto.tokens import new_token
from storage.crypto.private_keys import X25519PrivateKey as Key

def later() -> None:
    import secrets
    from argon2 import low_level
    import pyotp.totp
    key = os.urandom(32)
    from os import urandom, getpid
"""
    assert primitive_imports(source, "x.py") == [
        "x.py:3 uses hashlib",
        "x.py:4 uses hmac",
        "x.py:5 uses cryptography.hazmat.primitives.asymmetric.x25519",
        "x.py:10 uses secrets",
        "x.py:11 uses argon2",
        "x.py:12 uses pyotp.totp",
        "x.py:13 uses os.urandom",
        "x.py:14 uses os.urandom",
    ]


def test_the_room_index_re_exports_nothing() -> None:
    """`storage/crypto/__init__.py` is the room's index: a docstring, no facade."""
    tree = ast.parse((CRYPTO_ROOM / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree)
    assert len(tree.body) == 1
