"""The attacker's keys: everything in one copied keys.dir, and the chat ids of every
channel brute-forced against its chat hashes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from storage.crypto import aead
from storage.crypto.keys import KeyStore

ROOT = Path(__file__).resolve().parents[3]
CHANNELS = ("telegram", "web", "terminal", "whatsapp")


def _source_strings(pattern: str) -> set[str]:
    """String constants of the product's code (not the tests): purposes and AAD labels."""
    found: set[str] = set()
    for package in ("storage", "bot", "escalation", "dialogues"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


@dataclass
class Keyring:
    """Everything in one copied keys.dir, loaded the way the service loads it."""

    dir: Path
    store: KeyStore | None
    files: dict[str, bytes]  # every file, by path relative to keys.dir
    chat_ids: dict[str, tuple[str, int]]  # chat hash -> (channel, chat id), brute-forced
    purposes: set[str]
    labels: set[str]

    @classmethod
    def load(cls, directory: Path, chat_range: range) -> Keyring:
        files = {
            str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file()
        }
        try:
            store: KeyStore | None = KeyStore.load(directory)
        except Exception:
            store = None
        chat_ids: dict[str, tuple[str, int]] = {}
        if store is not None:
            for channel in CHANNELS:
                for chat_id in chat_range:
                    chat_ids[store.server.chat_key(channel, str(chat_id))] = (channel, chat_id)
        return cls(
            directory,
            store,
            files,
            chat_ids,
            _source_strings(r'PURPOSE\s*=\s*"([^"]+)"') | _source_strings(r'purpose="([^"]+)"'),
            # AAD labels, and the HKDF labels sub-keys are derived under
            _source_strings(r'\bassociated_data\(\s*"([^"]+)"')
            | _source_strings(r'\bsubkey\([^"\n]*?"([^"]+)"'),
        )

    def sub_keys(self) -> dict[str, bytes]:
        """Every 32-byte secret a ServerKey derives (today chat/state/value/audit; new
        ones are picked up by looking at the object, not by name)."""
        if self.store is None:
            return {}
        return {
            name: value
            for name, value in vars(self.store.server).items()
            if isinstance(value, bytes) and len(value) == aead.KEY_LEN
        }

    def draft_secrets(self) -> dict[str, bytes]:
        """keys.dir/drafts/<chat hash> files (the drafts' shreddable keys)."""
        return {
            Path(name).name: data
            for name, data in self.files.items()
            if Path(name).parts[0] == "drafts"
        }
