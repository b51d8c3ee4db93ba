"""Reading both files behind one `--config`: config.yaml, then the directory it names.
A mistake in either stops start-up with one line; one in the directory names its file."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.app.settings.errors import ConfigError, explain, read_yaml
from bot.app.settings.help_lines import stale_routes
from bot.app.settings.network import NetworkSettings
from bot.app.settings.root import Settings


def load_settings(path: Path) -> Settings:
    """Read and validate config.yaml and its network.yaml; ConfigError on the first problem."""
    data = read_yaml(
        path, "--config", "pass --config PATH to a config file", "database: and telegram:"
    )
    _refuse_moved(data)
    try:
        service = Settings(**data)
    except ValidationError as exc:
        raise explain(exc) from None
    return service.with_directory(load_network(service.network_path(path), str(service.network)))


def _refuse_moved(data: dict[str, Any]) -> None:
    """A config.yaml from before the split still holds the directory's sections."""
    for key in data:
        if key in NetworkSettings.model_fields and key not in Settings.model_fields:
            raise ConfigError(
                key, "belongs in the network's directory now (network.yaml); move it there"
            )


def load_network(path: Path, label: str) -> NetworkSettings:
    """The directory file; `label` is how config.yaml's `network:` names it."""
    data = read_yaml(
        path,
        "network",
        "set network: in config.yaml to the network's directory file (network.yaml)",
        "organizations: and routing:",
    )
    try:
        return NetworkSettings(**data)
    except ValidationError as exc:
        raise explain(exc, label) from None


def stale_contacts(settings: Settings, today: datetime.date) -> list[str]:
    """Contacts nobody confirmed for over a year: one warning line each, for start-up."""
    return stale_routes(settings.directory.elsewhere, today)
