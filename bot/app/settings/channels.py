"""The channels' sections of config.yaml (Telegram, WhatsApp, the web server), each with
the cross-field checks that guard it: a channel that is on has what it needs to run."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from bot.app.settings.errors import SectionError
from bot.app.settings.section import Section

WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class TelegramSettings(Section):
    # None means "on when a token is set", so that a token in the environment is enough.
    enabled: bool | None = None
    token: SecretStr | None = None
    api_base: str = "https://api.telegram.org"
    mode: TelegramMode = TelegramMode.POLLING
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    polling_timeout: int = Field(default=30, ge=1, le=60)
    # Updates handled at once by one process (polling). Unbounded, a backlog of hundreds
    # of updates became hundreds of tasks queueing for the database at once, each costing
    # more than it would alone (docs/performance.md). Must stay above
    # status.max_queued_checks: code checks waiting at the receipt gate hold their slot
    # (checked by the root Settings, which sees both sections).
    concurrent_updates: int = Field(default=64, ge=2, le=10_000)

    @property
    def active(self) -> bool:
        return self.token is not None if self.enabled is None else self.enabled

    @property
    def polling(self) -> bool:
        return self.active and self.mode is TelegramMode.POLLING

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.enabled and self.token is None:
            raise SectionError(
                "token",
                "Telegram is enabled but has no token; set it (or STAGEMELD_TELEGRAM__TOKEN) "
                "or set telegram.enabled: false",
            )
        token = self.token.get_secret_value() if self.token else None
        if token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            raise SectionError("token", "does not look like a token from @BotFather (123:ABC…)")
        if not self.api_base.startswith(("http://", "https://")):
            raise SectionError("api_base", "must start with http:// or https://")
        if self.active and self.mode is TelegramMode.WEBHOOK:
            self._check_webhook()
        return self

    def _check_webhook(self) -> None:
        if not self.webhook_url or not self.webhook_url.startswith("https://"):
            raise SectionError(
                "webhook_url", "webhook mode needs the public https:// URL of this service"
            )
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not WEBHOOK_SECRET.fullmatch(secret):
            raise SectionError(
                "webhook_secret",
                "webhook mode needs a random secret of 16-256 characters A-Z a-z 0-9 _ -",
            )


WHATSAPP_REQUIRED = ("access_token", "app_secret", "verify_token", "phone_number_id")


class WhatsAppSettings(Section):
    """The WhatsApp Business Cloud API (docs/whatsapp.md). Off unless configured: None
    means "on when an access token is set", like Telegram's token."""

    enabled: bool | None = None
    access_token: SecretStr | None = None  # a system user's permanent token (Meta)
    app_secret: SecretStr | None = None  # signs every webhook delivery (X-Hub-Signature-256)
    verify_token: SecretStr | None = None  # our own random word for the subscription check
    phone_number_id: str | None = None
    api_base: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8445, ge=0, le=65535)  # 0: any free port (tests)
    webhook_path: str = "/whatsapp/webhook"
    # An approved, content-free template for "there is news" outside the 24-hour window
    # (README: how to register it). None: WhatsApp students are not offered nudges.
    nudge_template: str | None = None
    retry_base_seconds: float = Field(default=1.0, gt=0, le=60)  # backoff on 429 / 5xx

    @property
    def active(self) -> bool:
        return self.access_token is not None if self.enabled is None else self.enabled

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.active:
            return self
        for name in WHATSAPP_REQUIRED:
            if getattr(self, name) is None:
                env = f"STAGEMELD_WHATSAPP__{name.upper()}"
                raise SectionError(
                    name,
                    f"WhatsApp is enabled but has no {name}; set it (or {env}) "
                    "or set whatsapp.enabled: false",
                )
        self._check_values()
        return self

    def _check_values(self) -> None:
        if not re.fullmatch(r"\d{5,20}", self.phone_number_id or ""):
            raise SectionError(
                "phone_number_id", "must be the digits of the Phone number ID Meta shows"
            )
        if not self.api_base.startswith(("http://", "https://")):
            raise SectionError("api_base", "must start with https:// (Meta's Graph API)")
        if not re.fullmatch(r"v\d+\.\d+", self.api_version):
            raise SectionError("api_version", "must look like v23.0")
        if not self.webhook_path.startswith("/"):
            raise SectionError("webhook_path", "must start with /, e.g. /whatsapp/webhook")
        verify = self.verify_token.get_secret_value() if self.verify_token else ""
        if not WEBHOOK_SECRET.fullmatch(verify):
            raise SectionError(
                "verify_token", "needs a random word of 16-256 characters A-Z a-z 0-9 _ -"
            )
        template = self.nudge_template
        if template is not None and not re.fullmatch(r"[a-z0-9_]{1,512}", template):
            raise SectionError(
                "nudge_template",
                "must be the template's name as registered with Meta (a-z, 0-9 and _)",
            )


class WebSettings(Section):
    """One HTTP server for the students' web chat (at /) and the advisers' console."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    # The address people type, for links the service makes (an adviser's enrolment
    # link). Behind a reverse proxy: its https:// URL. Default: http://host:port.
    public_url: str | None = None
    # The web chat's quick exit replaces the page with this neutral site.
    quick_exit_url: str = "https://www.buienradar.nl/"
    messages_per_minute: int = Field(default=30, ge=1)  # flood limit per browser session
    max_text_chars: int = Field(default=4096, ge=100, le=16_000)  # like a Telegram message
    # Files a student adds to an answer for the adviser in the web chat: at most this
    # many bytes (the engine's own cap, 10 MiB, is the most), of these kinds. Every file,
    # from any channel, is rebuilt without its metadata (GPS, author) before sealing.
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=10 * 1024 * 1024)
    file_types: tuple[Literal["jpeg", "png", "pdf"], ...] = Field(
        default=("jpeg", "png", "pdf"), min_length=1
    )
    # Proxies whose X-Forwarded-For is believed (addresses or networks); from anyone
    # else the header is ignored and the connection's own address counts.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @model_validator(mode="after")
    def _check(self) -> Self:
        public = self.public_url
        if public is not None and not public.startswith(("http://", "https://")):
            raise SectionError("public_url", "must start with https:// (or http:// for local use)")
        if not self.quick_exit_url.startswith(("http://", "https://")):
            raise SectionError("quick_exit_url", "must be the full http(s):// address of a site")
        for i, proxy in enumerate(self.trusted_proxies):
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SectionError(
                    f"trusted_proxies.{i}", "must be an IP address or network (10.0.0.0/8)"
                ) from None
        return self
