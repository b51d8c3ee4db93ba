"""The service's own sections of config.yaml besides the channels: where its database,
keys and logs are, mail, and the limits that keep one chat or address from flooding it.
The operator edits these; the network's directory (network.yaml) is elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from bot.app.settings.errors import SectionError
from bot.app.settings.section import Section


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///var/stagemeld.db"

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise SectionError(
                "url", "must start with sqlite+aiosqlite:/// or postgresql+asyncpg://"
            )
        return self


class Argon2Settings(Section):
    iterations: int = Field(default=3, ge=1)
    lanes: int = Field(default=4, ge=1)
    memory_kib: int = Field(default=65536, ge=8)


class KeysSettings(Section):
    dir: Path = Path("var/keys")
    argon2: Argon2Settings = Argon2Settings()


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: Path | None = Path("var/log/stagemeld.log")


class ConversationSettings(Section):
    ttl_hours: int = Field(default=72, ge=1)
    messages_per_minute: int = Field(default=30, ge=1)


class StatusSettings(Section):
    max_failures: int = Field(default=5, ge=1)
    lock_minutes: int = Field(default=15, ge=1)
    # Wrong receipt codes per hour, from one client address (web chat) and from all
    # chats together; beyond them status checks wait (docs/security.md has the numbers).
    per_address_per_hour: int = Field(default=20, ge=1)
    overall_per_hour: int = Field(default=600, ge=1)
    # Status checks waiting for Argon2id at once, and waiting at the receipt gate
    # (bot/intake/receipt_gate.py) before it; more: "busy, try again in a minute".
    max_queued_checks: int = Field(default=20, ge=1, le=1000)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.per_address_per_hour > self.overall_per_hour:
            raise SectionError("per_address_per_hour", "must not exceed status.overall_per_hour")
        return self


class ConsoleSettings(Section):
    session_idle_minutes: int = Field(default=30, ge=1, le=720)
    login_max_failures: int = Field(default=5, ge=1)  # per account and source address
    login_lock_minutes: int = Field(default=15, ge=1)
    # Failed logins per source address (all accounts) within the lock time, and per
    # account from all sources together (the database's lock-out, for spread guessing).
    login_source_max_failures: int = Field(default=20, ge=1)
    login_account_max_failures: int = Field(default=50, ge=1)
    enrol_link_hours: int = Field(default=72, ge=1, le=24 * 30)


class SmtpSettings(Section):
    """E-mail to advisers (notices only, never content). No host: e-mail is off."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "stagemeld@localhost"
    timeout_seconds: float = Field(default=30.0, gt=0)
    # A private CA's certificate (PEM) to trust for the mail server; default: the system's.
    ca_file: Path | None = None
