"""Configuration: the shipped file loads, env overrides win, and every mistake an
operator can make stops start-up with one line naming the key and the fix."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app.settings import ConfigError, TelegramMode, load_settings, stale_contacts
from dialogues.required_keys import ELSEWHERE_KINDS
from tests.conftest import save_config, shipped_config

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "config.yaml"


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    """config.yaml and the network.yaml beside it, from one mapping of both."""
    return save_config(tmp_path / "config.yaml", data)


def shipped() -> dict[str, Any]:
    return shipped_config()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("STAGEMELD_"):
            monkeypatch.delenv(name)


def test_shipped_config_describes_the_den_haag_network() -> None:
    s = load_settings(SHIPPED)
    names = {o.name for o in s.directory.organizations}
    assert {"Hogeschool Inholland", "De Haagse Hogeschool", "ROC Mondriaan", "SBB"} <= names
    assert s.directory.network.name == "Gemeente Den Haag"
    assert s.database.url == "sqlite+aiosqlite:///var/stagemeld.db"
    assert s.telegram.active is False
    assert s.keys.dir == Path("var/keys")


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEMELD_TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("STAGEMELD_TELEGRAM__API_BASE", "http://127.0.0.1:9999")
    monkeypatch.setenv("STAGEMELD_DATABASE__URL", "postgresql+asyncpg://u@127.0.0.1/db")
    s = load_settings(SHIPPED)
    assert s.telegram.active is True
    assert s.telegram.token is not None and s.telegram.token.get_secret_value() == "123:abc"
    assert s.telegram.api_base == "http://127.0.0.1:9999"
    assert s.database.url.startswith("postgresql+asyncpg://")
    assert len(s.directory.organizations) == 6  # the rest of the file is kept


def error_for(tmp_path: Path, data: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, data))
    return info.value


def test_unknown_key_is_named(tmp_path: Path) -> None:
    data = shipped()
    data["telegram"]["tokn"] = "x"
    err = error_for(tmp_path, data)
    assert err.key == "telegram.tokn"
    assert "unknown key" in str(err)


def test_enabled_telegram_without_token(tmp_path: Path) -> None:
    data = shipped()
    data["telegram"]["enabled"] = True
    err = error_for(tmp_path, data)
    assert err.key == "telegram.token"
    assert "STAGEMELD_TELEGRAM__TOKEN" in err.fix


def test_two_network_organizations(tmp_path: Path) -> None:
    data = shipped()
    data["organizations"][0]["kind"] = "network"
    err = error_for(tmp_path, data)
    assert err.key == "organizations"
    assert "exactly one" in err.fix and "found 2" in err.fix


def test_adviser_without_contact(tmp_path: Path) -> None:
    data = shipped()
    data["organizations"][1]["advisers"][0].pop("email")
    err = error_for(tmp_path, data)
    assert err.key == "organizations.1.advisers.0"
    assert "email or telegram_chat_id" in err.fix


def test_webhook_needs_url_and_secret(tmp_path: Path) -> None:
    data = shipped()
    data["telegram"].update(token="123:abc", mode="webhook")
    assert error_for(tmp_path, data).key == "telegram.webhook_url"
    data["telegram"]["webhook_url"] = "https://bot.example.nl/hook"
    assert error_for(tmp_path, data).key == "telegram.webhook_secret"
    data["telegram"]["webhook_secret"] = "s" * 32
    assert load_settings(write(tmp_path, data)).telegram.mode is TelegramMode.WEBHOOK


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["database"].update(url="mysql://x"), "database.url"),
        (lambda d: d["organizations"][0].update(id="Bad Id!"), "organizations.0.id"),
        (lambda d: d["organizations"][0].update(level=None), "organizations.0.level"),
        (lambda d: d["organizations"][1].update(id="inholland"), "organizations"),
        (lambda d: d["telegram"].update(mode="carrier-pigeon"), "telegram.mode"),
        (lambda d: d["status"].update(max_failures=0), "status.max_failures"),
        (lambda d: d["routing"]["rules"][2].update(to="nobody"), "routing.rules.2.to"),
        (
            lambda d: d["routing"]["rules"][0]["when"].update(mood=["x"]),
            "routing.rules.0.when.mood",
        ),
        (lambda d: d["routing"]["urgent_when"].update(colour=["x"]), "routing.urgent_when.colour"),
        (
            lambda d: d["deadlines"].update(acknowledge_working_days=8),
            "deadlines.acknowledge_working_days",
        ),
        (lambda d: d["web"].update(public_url="stagemeld.nl"), "web.public_url"),
        (lambda d: d["web"].update(max_file_bytes=50 * 1024 * 1024), "web.max_file_bytes"),
        (lambda d: d["web"].update(file_types=["jpeg", "docx"]), "web.file_types.1"),
        (
            lambda d: d["organizations"][0]["advisers"][0].update(role="boss"),
            "organizations.0.advisers.0.role",
        ),
        # where else to go
        (lambda d: d["elsewhere"][4].update(kind="lawyer"), "elsewhere.4.kind"),
        (lambda d: d["elsewhere"][4].pop("checked"), "elsewhere.4.checked"),
        (lambda d: d["elsewhere"][4].update(checked="last week"), "elsewhere.4.checked"),
        (lambda d: d["elsewhere"][4].update(phone=None, web=None), "elsewhere.4"),
        (lambda d: d["elsewhere"][4].update(phone="call us"), "elsewhere.4.phone"),
        (lambda d: d["elsewhere"][4].update(web="<b>x</b>"), "elsewhere.4.web"),
        (lambda d: d["elsewhere"][4].update(when={"mood": ["x"]}), "elsewhere.4.when.mood"),
        (lambda d: d["elsewhere"][0].update(when={"school": ["nope"]}), "elsewhere.0.when.school"),
        (lambda d: d["elsewhere"][0].update(when={}), "elsewhere.0.when.school"),
        # the receipt gate's waiting checks must not hold every update slot
        (
            lambda d: d["telegram"].update(token="1:a", concurrent_updates=20),
            "telegram.concurrent_updates",
        ),
        (lambda d: d["telegram"].update(concurrent_updates=1), "telegram.concurrent_updates"),
    ],
)
def test_other_mistakes_name_their_key(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], object], key: str
) -> None:
    data = shipped()
    mutate(data)
    assert error_for(tmp_path, data).key == key


def test_the_update_limit_is_not_checked_where_nothing_polls(tmp_path: Path) -> None:
    """Telegram off (or a webhook): the receipt gate's line cannot fill polling slots."""
    data = shipped()
    data["status"]["max_queued_checks"] = 1000
    assert load_settings(write(tmp_path, data)).status.max_queued_checks == 1000


def test_broken_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("database:\n  url: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    data = shipped()
    data["organizations"].append(dict(data["organizations"][-1], id="second-network"))
    path = write(tmp_path, data)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "--config", str(path), "check-config"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("stagemeld: config error: network.yaml: organizations:")


COMMANDS = (
    ("run",),
    ("chat",),
    ("check-config",),
    ("keys", "init"),
    ("adviser", "add", "--adviser", "hhs-vp"),
    ("audit", "verify"),
)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_config_is_read_before_or_after_any_subcommand(command: tuple[str, ...]) -> None:
    from bot.app.cli import parser

    before = parser().parse_args(["--config", "a.yaml", *command])
    after = parser().parse_args([*command, "--config", "a.yaml"])
    assert before.config == after.config == Path("a.yaml")
    assert parser().parse_args(list(command)).config == Path("config.yaml")


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_command_line_takes_config_on_either_side(tmp_path: Path, where: str) -> None:
    """As a process: cwd has no config.yaml, so only the flag can find the file."""

    def stagemeld(config: Path, *command: str) -> subprocess.CompletedProcess[str]:
        flag = ("--config", str(config))
        args = (*flag, *command) if where == "before" else (*command, *flag)
        return subprocess.run(
            [sys.executable, "-m", "bot.app.cli", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )

    ok = stagemeld(SHIPPED, "check-config")
    assert ok.returncode == 0 and ok.stdout.strip() == "config ok", ok.stderr
    missing = stagemeld(tmp_path / "elsewhere.yaml", "keys", "init")
    assert missing.returncode == 2 and "elsewhere.yaml does not exist" in missing.stderr


def test_a_contact_not_checked_for_a_year_warns_at_start(tmp_path: Path) -> None:
    data = shipped()
    data["elsewhere"][5]["checked"] = datetime.date(2024, 1, 2)
    settings = load_settings(write(tmp_path, data))
    today = datetime.date(2026, 12, 1)
    (line,) = stale_contacts(settings, today)
    assert line.startswith("elsewhere.5.checked: Discriminatie.nl") and "2024-01-02" in line
    assert stale_contacts(load_settings(SHIPPED), datetime.date(2027, 6, 1)) == []


def test_an_organization_may_have_aliases(tmp_path: Path) -> None:
    data = shipped()
    data["organizations"][1]["aliases"] = ["thuas"]
    settings = load_settings(write(tmp_path, data))
    assert settings.directory.organizations[1].aliases == ("thuas",)


def test_the_shipped_contacts_are_den_haags() -> None:
    routes = load_settings(SHIPPED).directory.elsewhere
    assert {r.kind for r in routes} == set(ELSEWHERE_KINDS)
    phones = {r.name: r.phone for r in routes}
    assert phones["Den Haag Meldt"] == "070 752 82 00"
    assert phones["Discriminatie.nl"] == "0800-0142"
    for route in routes:
        assert route.checked > datetime.date(2026, 1, 1), route.name


def test_patterns_threshold_below_two_is_refused_with_the_reason(tmp_path: Path) -> None:
    data = shipped()
    assert load_settings(write(tmp_path, data)).directory.patterns.threshold == 2
    data["patterns"]["threshold"] = 1
    err = error_for(tmp_path, data)
    assert err.key == "patterns.threshold" and "at least 2" in err.fix
    data["patterns"]["threshold"] = 3
    assert load_settings(write(tmp_path, data)).directory.patterns.threshold == 3


def test_a_workplace_kvk_number_is_eight_digits(tmp_path: Path) -> None:
    data = shipped()
    data["organizations"][4]["kvk"] = "1234567"
    err = error_for(tmp_path, data)
    assert err.key == "organizations.4.kvk" and "8 digits" in err.fix
    data["organizations"][4]["kvk"] = "12345678"
    assert load_settings(write(tmp_path, data)).directory.organizations[4].kvk == "12345678"


# --- WhatsApp --------------------------------------------------------------------------------

WHATSAPP = {
    "access_token": "EAAG-test-token",
    "app_secret": "app-secret-for-tests",
    "verify_token": "verify-token-0123456789",
    "phone_number_id": "106540352242922",
}


def test_whatsapp_is_off_unless_configured() -> None:
    assert load_settings(SHIPPED).whatsapp.active is False


@pytest.mark.parametrize(
    "missing", ["access_token", "app_secret", "verify_token", "phone_number_id"]
)
def test_enabled_whatsapp_names_the_missing_key(tmp_path: Path, missing: str) -> None:
    data = shipped()
    data["whatsapp"].update({k: v for k, v in WHATSAPP.items() if k != missing}, enabled=True)
    err = error_for(tmp_path, data)
    assert err.key == f"whatsapp.{missing}"
    assert "whatsapp.enabled: false" in err.fix


def test_a_whatsapp_token_in_the_environment_needs_the_other_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAGEMELD_WHATSAPP__ACCESS_TOKEN", "EAAG-test-token")
    with pytest.raises(ConfigError) as caught:
        load_settings(SHIPPED)
    assert caught.value.key == "whatsapp.app_secret"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"phone_number_id": "+31 6 1234"}, "whatsapp.phone_number_id"),
        ({"api_version": "23"}, "whatsapp.api_version"),
        ({"api_base": "graph.facebook.com"}, "whatsapp.api_base"),
        ({"webhook_path": "whatsapp"}, "whatsapp.webhook_path"),
        ({"verify_token": "short"}, "whatsapp.verify_token"),
        ({"nudge_template": "Er is nieuws!"}, "whatsapp.nudge_template"),
    ],
)
def test_a_wrong_whatsapp_value_names_its_key(
    tmp_path: Path, change: dict[str, Any], key: str
) -> None:
    data = shipped()
    data["whatsapp"].update({**WHATSAPP, **change})
    assert error_for(tmp_path, data).key == key


def test_a_complete_whatsapp_section_loads(tmp_path: Path) -> None:
    data = shipped()
    data["whatsapp"].update(WHATSAPP, nudge_template="stagemeld_news")
    w = load_settings(write(tmp_path, data)).whatsapp
    assert w.active and w.nudge_template == "stagemeld_news"


# --- two files: the service's config.yaml and the network's directory ----------------------


def test_a_mistake_in_the_directory_names_its_file(tmp_path: Path) -> None:
    data = shipped()
    data["organizations"][1]["advisers"][0].update(email=None, telegram_chat_id="x")
    err = error_for(tmp_path, data)
    assert err.file == "network.yaml"
    assert str(err).startswith("network.yaml: organizations.1.advisers.0.telegram_chat_id: ")
    data["name"] = ""
    assert str(error_for(tmp_path, data)).startswith("network.yaml: name: ")


def test_the_directory_opens_with_the_networks_id_and_name(tmp_path: Path) -> None:
    directory = load_settings(SHIPPED).directory
    assert (directory.id, directory.name) == ("den-haag", "Stagemeld Den Haag")
    data = shipped()
    data.pop("id")
    err = error_for(tmp_path, data)
    assert (err.file, err.key) == ("network.yaml", "id") and "required" in err.fix


def test_config_names_its_directory_beside_it(tmp_path: Path) -> None:
    path = write(tmp_path, shipped())
    (tmp_path / "network.yaml").rename(tmp_path / "den-haag.yaml")
    with pytest.raises(ConfigError) as missing:
        load_settings(path)
    assert missing.value.key == "network"
    assert f"{tmp_path / 'network.yaml'} does not exist" in missing.value.fix
    service = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**service, "network": "den-haag.yaml"}), encoding="utf-8")
    assert load_settings(path).directory.network.name == "Gemeente Den Haag"


def test_the_environment_overrides_only_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEMELD_NETWORK", str(ROOT / "nowhere.yaml"))
    with pytest.raises(ConfigError) as moved:
        load_settings(SHIPPED)
    assert moved.value.key == "network" and "nowhere.yaml does not exist" in moved.value.fix
    monkeypatch.delenv("STAGEMELD_NETWORK")
    monkeypatch.setenv("STAGEMELD_ORGANIZATIONS", "[]")
    assert len(load_settings(SHIPPED).directory.organizations) == 6


def test_a_config_from_before_the_split_says_where_its_sections_go(tmp_path: Path) -> None:
    data = shipped()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")  # one file, as it used to be
    with pytest.raises(ConfigError) as old:
        load_settings(path)
    assert old.value.file is None and "network.yaml" in old.value.fix
