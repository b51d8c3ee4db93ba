"""The one settings object: YAML file first, `STAGEMELD_<SECTION>__<KEY>` overrides on top.

Every other module receives what it needs from here; none reads the environment itself.
A bad config must stop start-up with one line that names the key and the fix, because
the person reading it is an operator at a school, not a Python developer.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ORG_ID = r"^[a-z0-9][a-z0-9-]{0,30}$"
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class ConfigError(Exception):
    """A config mistake an operator can fix: the key and how to fix it, on one line."""

    def __init__(self, key: str, fix: str) -> None:
        super().__init__(f"{key}: {fix}")
        self.key = key
        self.fix = fix


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///var/stagemeld.db"


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class TelegramSettings(_Section):
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
    # status.max_queued_checks: code checks waiting at the receipt gate hold their slot.
    concurrent_updates: int = Field(default=64, ge=2, le=10_000)

    @property
    def active(self) -> bool:
        return self.token is not None if self.enabled is None else self.enabled


class WhatsAppSettings(_Section):
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


class Argon2Settings(_Section):
    iterations: int = Field(default=3, ge=1)
    lanes: int = Field(default=4, ge=1)
    memory_kib: int = Field(default=65536, ge=8)


class KeysSettings(_Section):
    dir: Path = Path("var/keys")
    argon2: Argon2Settings = Argon2Settings()


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: Path | None = Path("var/log/stagemeld.log")


class ConversationSettings(_Section):
    ttl_hours: int = Field(default=72, ge=1)
    messages_per_minute: int = Field(default=30, ge=1)


class StatusSettings(_Section):
    max_failures: int = Field(default=5, ge=1)
    lock_minutes: int = Field(default=15, ge=1)
    # Wrong receipt codes per hour, from one client address (web chat) and from all
    # chats together; beyond them status checks wait (docs/security.md has the numbers).
    per_address_per_hour: int = Field(default=20, ge=1)
    overall_per_hour: int = Field(default=600, ge=1)
    # Status checks waiting for Argon2id at once, and waiting at the receipt gate
    # (bot/intake/receipt_gate.py) before it; more: "busy, try again in a minute".
    max_queued_checks: int = Field(default=20, ge=1, le=1000)


class ReportingSettings(_Section):
    # The first choice is offered as the recommended one.
    visibility: tuple[Literal["school", "school_and_workplace", "network"], ...] = (
        "school",
        "school_and_workplace",
        "network",
    )


class WebSettings(_Section):
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


class ConsoleSettings(_Section):
    session_idle_minutes: int = Field(default=30, ge=1, le=720)
    login_max_failures: int = Field(default=5, ge=1)  # per account and source address
    login_lock_minutes: int = Field(default=15, ge=1)
    # Failed logins per source address (all accounts) within the lock time, and per
    # account from all sources together (the database's lock-out, for spread guessing).
    login_source_max_failures: int = Field(default=20, ge=1)
    login_account_max_failures: int = Field(default=50, ge=1)
    enrol_link_hours: int = Field(default=72, ge=1, le=24 * 30)


class SmtpSettings(_Section):
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


class DeadlineSettings(_Section):
    """Response times. The EU whistleblower directive caps them: acknowledgement within
    7 days and feedback within 3 months, whatever is configured here."""

    acknowledge_working_days: int = Field(default=2, ge=1, le=5)
    acknowledge_urgent_hours: int = Field(default=4, ge=1, le=48)
    feedback_working_days: int = Field(default=10, ge=1, le=60)
    # An answer to a student's message (their reply in the thread) is due this many
    # working days after it arrived; it escalates like the others when missed.
    reply_working_days: int = Field(default=2, ge=1, le=20)
    escalate_every_hours: int = Field(default=24, ge=1, le=24 * 14)
    check_every_seconds: int = Field(default=60, ge=1, le=3600)


class StatisticsSettings(_Section):
    """The network's figures (docs/figures.md): cells below `min_cell` are hidden; the
    public page /cijfers is off unless `public` is true."""

    min_cell: int = 5
    public: bool = False


class RetentionSettings(_Section):
    days: int = Field(default=365, ge=30)
    warn_days: int = Field(default=14, ge=1)


class PatternSettings(_Section):
    """Company patterns: reports whose students consented, naming the same company, are
    released to the advisers and the network once `threshold` match."""

    enabled: bool = True
    # One report is one student's word: a pattern needs at least two.
    threshold: int = Field(default=2, ge=2, le=50)


RULE_TARGETS = ("school", "workplace")  # besides organization ids
RULE_CONDITIONS = ("visibility", "level", "recognised", "phase", "wants", "safety")


class RoutingRule(_Section):
    """`to` receives the report when every `when` key matches one of its values."""

    to: str
    when: dict[str, tuple[str, ...]] = {}


class RoutingSettings(_Section):
    rules: tuple[RoutingRule, ...] = (
        RoutingRule(to="school", when={"visibility": ("school", "school_and_workplace")}),
        RoutingRule(to="workplace", when={"visibility": ("school_and_workplace",)}),
    )
    urgent_when: dict[str, tuple[str, ...]] = {"safety": ("yes", "threat")}


class OrgKind(StrEnum):
    SCHOOL = "school"
    WORKPLACE = "workplace"
    SBB = "sbb"
    NETWORK = "network"


class AdviserSettings(_Section):
    id: str = Field(pattern=ORG_ID)
    name: str = Field(min_length=1)
    email: str | None = None
    telegram_chat_id: int | None = None
    # A coordinator is the organization's contact when a deadline is missed.
    role: Literal["adviser", "coordinator"] = "adviser"


class OrganizationSettings(_Section):
    id: str = Field(pattern=ORG_ID)
    name: str = Field(min_length=1, max_length=60)
    kind: OrgKind
    level: Literal["mbo", "hbo"] | None = None
    # Enrolled students (a school): the figures' reports per 1,000 students.
    students: int | None = Field(default=None, ge=1)
    # A workplace's KvK number (8 digits): a student's pick of it then matches a report
    # that gives the number (patterns).
    kvk: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    advisers: tuple[AdviserSettings, ...] = ()
    # Other names students type for it ("thuas", "roc"); the id and name count anyway.
    aliases: tuple[str, ...] = ()


ELSEWHERE_CONDITIONS = ("level", "phase", "wants", "recognised", "safety", "school")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,19}$")
WEB = re.compile(r"^(https://)?[a-z0-9-]+(\.[a-z0-9-]+)+(/[A-Za-z0-9._~/-]*)?$")
STALE_AFTER = datetime.timedelta(days=365)


class ElsewhereRoute(_Section):
    """Somewhere else a student can go, shown after a report and under /help. What it
    does is worded by the locale files (elsewhere_<kind>); who and how by this entry."""

    kind: Literal["school", "sbb", "municipal", "national", "college", "police", "campaign"]
    name: str = Field(min_length=1, max_length=60)
    phone: str | None = None
    web: str | None = None
    checked: datetime.date  # the day someone confirmed the number and the address
    when: dict[str, tuple[str, ...]] = {}


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
    reporting: ReportingSettings = ReportingSettings()
    web: WebSettings = WebSettings()
    console: ConsoleSettings = ConsoleSettings()
    smtp: SmtpSettings = SmtpSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    retention: RetentionSettings = RetentionSettings()
    statistics: StatisticsSettings = StatisticsSettings()
    routing: RoutingSettings = RoutingSettings()
    patterns: PatternSettings = PatternSettings()
    organizations: tuple[OrganizationSettings, ...] = ()
    elsewhere: tuple[ElsewhereRoute, ...] = ()

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

    @property
    def network(self) -> OrganizationSettings:
        return next(o for o in self.organizations if o.kind is OrgKind.NETWORK)

    def organization(self, org_id: str) -> OrganizationSettings | None:
        return next((o for o in self.organizations if o.id == org_id), None)


def load_settings(path: Path) -> Settings:
    """Read, validate and cross-check the config; raise ConfigError on the first problem."""
    data = _read_yaml(path)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise _explain(exc) from None
    check_consistency(settings)
    return settings


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError("--config", f"{path} does not exist; pass --config PATH to a config file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise ConfigError(str(path), f"is not valid YAML ({where}); check indentation") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            str(path), "must be a mapping of sections such as database: and telegram:"
        )
    return data


def _explain(exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "config"
    kind = err["type"]
    if kind == "extra_forbidden":
        return ConfigError(key, "unknown key; remove it or check its spelling against config.yaml")
    if kind == "missing":
        return ConfigError(key, "is required; add it")
    if kind == "string_pattern_mismatch" and key.endswith(".kvk"):
        return ConfigError(key, 'must be the 8 digits of a KvK number, in quotes: "12345678"')
    if kind == "greater_than_equal" and key == "patterns.threshold":
        return ConfigError(
            key, "must be at least 2: one report is one student's word, not a pattern"
        )
    if kind == "string_pattern_mismatch":
        return ConfigError(
            key, "must be a short id of lower-case letters, digits and dashes (max 31)"
        )
    return ConfigError(key, f"{err['msg'][:1].lower()}{err['msg'][1:]}")


def check_consistency(s: Settings) -> None:
    """Cross-field rules pydantic's per-field checks cannot express."""
    _check_telegram(s.telegram)
    _check_whatsapp(s.whatsapp)
    _check_database(s.database)
    _check_organizations(s.organizations)
    _check_routing(s.routing, {o.id for o in s.organizations})
    _check_web(s.web)
    _check_status(s.status)
    _check_concurrency(s.telegram, s.status)
    _check_elsewhere(s.elsewhere, {o.id for o in s.organizations if o.kind is OrgKind.SCHOOL})
    _check_statistics(s.statistics)


def _check_elsewhere(routes: tuple[ElsewhereRoute, ...], schools: set[str]) -> None:
    for i, route in enumerate(routes):
        key = f"elsewhere.{i}"
        if not route.phone and not route.web:
            raise ConfigError(key, f"{route.name} needs a phone or a web address to reach them")
        if route.phone is not None and not PHONE.fullmatch(route.phone):
            raise ConfigError(f"{key}.phone", "digits, spaces, + and - only, e.g. 0800-0142")
        if route.web is not None and not WEB.fullmatch(route.web):
            raise ConfigError(f"{key}.web", "a plain address such as discriminatie.nl")
        _check_conditions(f"{key}.when", route.when, ELSEWHERE_CONDITIONS)
        unknown = set(route.when.get("school", ())) - schools
        if unknown:
            raise ConfigError(
                f"{key}.when.school",
                f"{', '.join(sorted(unknown))} is not a school in organizations",
            )
        if route.kind == "school" and not route.when.get("school"):
            raise ConfigError(f"{key}.when.school", "a school's own route names its school id")


def stale_contacts(settings: Settings, today: datetime.date) -> list[str]:
    """Contacts nobody confirmed for over a year: one warning line each, for start-up."""
    return [
        f"elsewhere.{i}.checked: {r.name} was last checked on {r.checked.isoformat()}, over "
        f"a year ago; confirm its number and address, then update checked"
        for i, r in enumerate(settings.elsewhere)
        if today - r.checked > STALE_AFTER
    ]


def _check_telegram(t: TelegramSettings) -> None:
    if t.enabled and t.token is None:
        raise ConfigError(
            "telegram.token",
            "Telegram is enabled but has no token; set it (or STAGEMELD_TELEGRAM__TOKEN) "
            "or set telegram.enabled: false",
        )
    if t.token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", t.token.get_secret_value()):
        raise ConfigError("telegram.token", "does not look like a token from @BotFather (123:ABC…)")
    if not t.api_base.startswith(("http://", "https://")):
        raise ConfigError("telegram.api_base", "must start with http:// or https://")
    if t.active and t.mode is TelegramMode.WEBHOOK:
        if not t.webhook_url or not t.webhook_url.startswith("https://"):
            raise ConfigError(
                "telegram.webhook_url", "webhook mode needs the public https:// URL of this service"
            )
        secret = t.webhook_secret.get_secret_value() if t.webhook_secret else ""
        if not WEBHOOK_SECRET.fullmatch(secret):
            raise ConfigError(
                "telegram.webhook_secret",
                "webhook mode needs a random secret of 16-256 characters A-Z a-z 0-9 _ -",
            )


def _check_concurrency(t: TelegramSettings, status: StatusSettings) -> None:
    """Only where it applies: Telegram running and polling."""
    polling = t.active and t.mode is TelegramMode.POLLING
    if polling and t.concurrent_updates <= status.max_queued_checks:
        raise ConfigError(
            "telegram.concurrent_updates",
            f"must be larger than status.max_queued_checks ({status.max_queued_checks}): "
            "code checks waiting their turn would otherwise hold every slot",
        )


WHATSAPP_REQUIRED = ("access_token", "app_secret", "verify_token", "phone_number_id")


def _check_whatsapp(w: WhatsAppSettings) -> None:
    if not w.active:
        return
    for name in WHATSAPP_REQUIRED:
        if getattr(w, name) is None:
            env = f"STAGEMELD_WHATSAPP__{name.upper()}"
            raise ConfigError(
                f"whatsapp.{name}",
                f"WhatsApp is enabled but has no {name}; set it (or {env}) "
                "or set whatsapp.enabled: false",
            )
    if not re.fullmatch(r"\d{5,20}", w.phone_number_id or ""):
        raise ConfigError(
            "whatsapp.phone_number_id", "must be the digits of the Phone number ID Meta shows"
        )
    if not w.api_base.startswith(("http://", "https://")):
        raise ConfigError("whatsapp.api_base", "must start with https:// (Meta's Graph API)")
    if not re.fullmatch(r"v\d+\.\d+", w.api_version):
        raise ConfigError("whatsapp.api_version", "must look like v23.0")
    if not w.webhook_path.startswith("/"):
        raise ConfigError("whatsapp.webhook_path", "must start with /, e.g. /whatsapp/webhook")
    verify = w.verify_token.get_secret_value() if w.verify_token else ""
    if not WEBHOOK_SECRET.fullmatch(verify):
        raise ConfigError(
            "whatsapp.verify_token", "needs a random word of 16-256 characters A-Z a-z 0-9 _ -"
        )
    if w.nudge_template is not None and not re.fullmatch(r"[a-z0-9_]{1,512}", w.nudge_template):
        raise ConfigError(
            "whatsapp.nudge_template",
            "must be the template's name as registered with Meta (a-z, 0-9 and _)",
        )


def _check_database(d: DatabaseSettings) -> None:
    if not d.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "database.url",
            "must start with sqlite+aiosqlite:/// or postgresql+asyncpg://",
        )


def _check_organizations(orgs: tuple[OrganizationSettings, ...]) -> None:
    networks = [o for o in orgs if o.kind is OrgKind.NETWORK]
    if len(networks) != 1:
        raise ConfigError(
            "organizations",
            f"needs exactly one organization of kind network (the regional coordinator), "
            f"found {len(networks)}",
        )
    _check_unique("organizations", [o.id for o in orgs])
    _check_unique("organizations.advisers", [a.id for o in orgs for a in o.advisers])
    for i, org in enumerate(orgs):
        if org.kind is OrgKind.SCHOOL and org.level is None:
            raise ConfigError(f"organizations.{i}.level", "a school needs level: mbo or hbo")
        for j, adviser in enumerate(org.advisers):
            if adviser.email is None and adviser.telegram_chat_id is None:
                raise ConfigError(
                    f"organizations.{i}.advisers.{j}",
                    f"adviser {adviser.id} has no contact; add email or telegram_chat_id",
                )


def _check_unique(key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ConfigError(key, f"id {ident} is used twice; ids must be unique")
        seen.add(ident)


def _check_routing(r: RoutingSettings, org_ids: set[str]) -> None:
    for i, rule in enumerate(r.rules):
        if rule.to not in RULE_TARGETS and rule.to not in org_ids:
            raise ConfigError(
                f"routing.rules.{i}.to",
                f"{rule.to} is neither school, workplace nor an organization id in the config",
            )
        _check_conditions(f"routing.rules.{i}.when", rule.when)
    _check_conditions("routing.urgent_when", r.urgent_when)


def _check_conditions(
    key: str, when: dict[str, tuple[str, ...]], allowed: tuple[str, ...] = RULE_CONDITIONS
) -> None:
    for name in when:
        if name not in allowed:
            raise ConfigError(
                f"{key}.{name}", f"unknown condition; use one of {', '.join(allowed)}"
            )


def _check_status(st: StatusSettings) -> None:
    if st.per_address_per_hour > st.overall_per_hour:
        raise ConfigError("status.per_address_per_hour", "must not exceed status.overall_per_hour")


MIN_CELL_FLOOR = 3


def _check_statistics(st: StatisticsSettings) -> None:
    if st.min_cell < MIN_CELL_FLOOR:
        raise ConfigError(
            "statistics.min_cell",
            f"must be at least {MIN_CELL_FLOOR}: smaller figures could single out a student "
            "(the default is 5)",
        )


def _check_web(w: WebSettings) -> None:
    if w.public_url is not None and not w.public_url.startswith(("http://", "https://")):
        raise ConfigError("web.public_url", "must start with https:// (or http:// for local use)")
    if not w.quick_exit_url.startswith(("http://", "https://")):
        raise ConfigError("web.quick_exit_url", "must be the full http(s):// address of a site")
    for i, proxy in enumerate(w.trusted_proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"web.trusted_proxies.{i}", "must be an IP address or network (10.0.0.0/8)"
            ) from None
