"""The one settings object: config.yaml first, `STAGEMELD_<SECTION>__<KEY>` overrides on
top, and the network's directory it points to (`network:`, read by `load_settings`).

Every other module receives what it needs from here; none reads the environment itself.
The environment overrides the service's settings only: the directory is the network
coordinator's file, and stays as they wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import PrivateAttr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.app.settings.channels import TelegramSettings, WebSettings, WhatsAppSettings
from bot.app.settings.errors import SectionError
from bot.app.settings.network import NetworkSettings
from bot.app.settings.service import (
    ConsoleSettings,
    ConversationSettings,
    DatabaseSettings,
    KeysSettings,
    LoggingSettings,
    SmtpSettings,
    StatusSettings,
)

NETWORK_FILE = Path("network.yaml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STAGEMELD_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    keys: KeysSettings = KeysSettings()
    logging: LoggingSettings = LoggingSettings()
    conversation: ConversationSettings = ConversationSettings()
    status: StatusSettings = StatusSettings()
    web: WebSettings = WebSettings()
    console: ConsoleSettings = ConsoleSettings()
    smtp: SmtpSettings = SmtpSettings()
    # The network's directory file; a relative path is read beside config.yaml.
    network: Path = NETWORK_FILE
    _directory: NetworkSettings | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file is passed as init values; the environment wins over it.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _check_concurrency(self) -> Self:
        """Only where it applies: Telegram running and polling."""
        queued = self.status.max_queued_checks
        if self.telegram.polling and self.telegram.concurrent_updates <= queued:
            raise SectionError(
                "telegram.concurrent_updates",
                f"must be larger than status.max_queued_checks ({queued}): "
                "code checks waiting their turn would otherwise hold every slot",
            )
        return self

    @property
    def directory(self) -> NetworkSettings:
        """The network's directory (network.yaml), as `load_settings` read it."""
        if self._directory is None:
            raise RuntimeError("these settings have no network directory; use load_settings")
        return self._directory

    def with_directory(self, directory: NetworkSettings) -> Settings:
        joined = self.model_copy()
        joined._directory = directory
        return joined

    def network_path(self, config: Path) -> Path:
        """Where the directory file is: `network:` as written, beside config.yaml."""
        return self.network if self.network.is_absolute() else config.parent / self.network
