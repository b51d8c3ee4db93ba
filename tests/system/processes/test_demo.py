"""`stagemeld run --demo`: demo advisers only on a loopback address, and the printed
passphrase and TOTP secret really log in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.app.container import build_container
from bot.app.demo import enrol_demo_advisers, is_loopback
from bot.app.settings import Settings
from storage.crypto import second_factor
from storage.repositories.accounts.credentials import LoggedIn
from tests.support.harness import cli


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("example.nl")


def test_demo_is_refused_on_a_public_address(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    make_settings(web={"host": "0.0.0.0"})
    refused = cli(tmp_path / "config.yaml", "run", "--demo")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "loopback" in refused.stderr
    assert not (tmp_path / "var" / "stagemeld.db").exists()  # nothing was enrolled


async def test_demo_advisers_can_log_in(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    text = await enrol_demo_advisers(settings)
    found = re.findall(r"e-mail:\s+(\S+)\n\s+passphrase:\s+(\S+)\n\s+TOTP secret:\s+(\S+)", text)
    assert len(found) == len([o for o in settings.directory.organizations if o.advisers])
    container = await build_container(settings)
    try:
        accounts = container.accounts
        by_email = {a.email: a.id for o in settings.directory.organizations for a in o.advisers}
        for email, passphrase, secret in found:
            code = second_factor.totp_code(secret, datetime.now(UTC))
            result = await accounts.login(by_email[email], passphrase, code)
            assert isinstance(result, LoggedIn), email
    finally:
        await container.close()
    again = await enrol_demo_advisers(settings)
    assert "passphrase:" not in again and "earlier demo run" in again
