"""The settings in two parts behind one `--config`: the service's (config.yaml: database,
keys, channels, web, mail, logging, limits; the operator's) and the network's directory
(network.yaml: organizations, routing, help lines, deadlines, retention, figures,
patterns; the network coordinator's). Import them from here."""

from bot.app.settings.channels import (
    TelegramMode,
    TelegramSettings,
    WebSettings,
    WhatsAppSettings,
)
from bot.app.settings.errors import ConfigError
from bot.app.settings.help_lines import ElsewhereRoute
from bot.app.settings.loading import load_network, load_settings, stale_contacts
from bot.app.settings.network import NetworkSettings
from bot.app.settings.organizations import AdviserSettings, OrganizationSettings, OrgKind
from bot.app.settings.root import Settings

__all__ = [
    "AdviserSettings",
    "ConfigError",
    "ElsewhereRoute",
    "NetworkSettings",
    "OrgKind",
    "OrganizationSettings",
    "Settings",
    "TelegramMode",
    "TelegramSettings",
    "WebSettings",
    "WhatsAppSettings",
    "load_network",
    "load_settings",
    "stale_contacts",
]
