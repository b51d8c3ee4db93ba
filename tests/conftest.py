"""Shared fixtures: a config in a temporary directory with cheap Argon2 parameters; and
each test marked by its tier, the folder under tests/ it lives in.

Tests build one mapping with both kinds of section (the service's and the network
directory's, as `base_config` returns it) and `write_config` splits it into config.yaml
and the network.yaml beside it, the way an install has them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app.settings import NetworkSettings, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
FAST_ARGON2 = {"iterations": 1, "lanes": 1, "memory_kib": 1024}
ADVISER_CHAT = 900001
NETWORK_KEYS = frozenset(NetworkSettings.model_fields)
TESTS = Path(__file__).resolve().parent
# A test's tier is its first folder under tests/; `-m unit` etc. select by it.
TIERS = ("unit", "integration", "system")


def tier_of(path: Path) -> str | None:
    """The tier of a file under tests/<tier>/, or None for any other file."""
    resolved = path.resolve()
    parts = resolved.relative_to(TESTS).parts if resolved.is_relative_to(TESTS) else ()
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test `unit`, `integration` or `system` by the folder it lives in."""
    for item in items:
        if tier := tier_of(item.path):
            item.add_marker(tier)


@pytest.fixture(autouse=True)
def _no_stagemeld_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests see only the config they write, never the developer's environment."""
    for name in list(os.environ):
        if name.startswith("STAGEMELD_"):
            monkeypatch.delenv(name)
    yield


def shipped_config() -> dict[str, Any]:
    """The shipped config.yaml and network.yaml as one mapping (no `network:` key)."""
    service: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    network: dict[str, Any] = yaml.safe_load((ROOT / "network.yaml").read_text(encoding="utf-8"))
    service.pop("network", None)
    return {**service, **network}


def save_config(path: Path, data: dict[str, Any]) -> Path:
    """Writes `data` as config.yaml at `path` and its directory sections (organizations,
    routing, ...) beside it, as network.yaml (`<stem>.network.yaml` for another name than
    config.yaml); returns `path`."""
    network = {k: v for k, v in data.items() if k in NETWORK_KEYS}
    service = {k: v for k, v in data.items() if k not in NETWORK_KEYS}
    beside = "network.yaml" if path.stem == "config" else f"{path.stem}.network.yaml"
    service.setdefault("network", beside)
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / service["network"]).write_text(yaml.safe_dump(network), encoding="utf-8")
    path.write_text(yaml.safe_dump(service), encoding="utf-8")
    return path


def base_config(tmp_path: Path) -> dict[str, Any]:
    data = shipped_config()
    data["database"]["url"] = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'stagemeld.db'}"
    data["keys"] = {"dir": str(tmp_path / "var" / "keys"), "argon2": FAST_ARGON2}
    data["logging"] = {"level": "INFO", "file": str(tmp_path / "var" / "log" / "stagemeld.log")}
    data["web"] = {"enabled": True, "host": "127.0.0.1", "port": 0}  # any free port
    hhs = next(o for o in data["organizations"] if o["id"] == "hhs")
    hhs["advisers"][0]["telegram_chat_id"] = ADVISER_CHAT
    return data


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**sections: dict[str, Any]) -> Settings:
        data = base_config(tmp_path)
        for section, values in sections.items():
            data.setdefault(section, {}).update(values)
        return load_settings(save_config(tmp_path / "config.yaml", data))

    return make
