"""`stagemeld keys init`, `stagemeld adviser add` (a one-time link, or enrolment from
standard input) and `stagemeld audit verify`, and what they make possible: an adviser
who unlocks their key with their passphrase reads a report sealed to them and logs in."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from bot.config import Settings
from bot.reporting import file_draft
from bot.services import build_services
from bot.web.routes import accounts_for
from dialogues import Draft
from storage import crypto
from storage.accounts import LoggedIn
from storage.crypto import private_key_from_text
from storage.models import AuditEntry, Enrolment
from tests.harness import cli

PASSPHRASE = "een lange wachtzin voor de vertrouwenspersoon"


def draft(**changes: object) -> Draft:
    values: dict[str, object] = {
        "lang": "nl", "phase": "during", "story": "Ze lachten om mijn accent.",
        "grounds": ("origin",), "when": "week", "school": "hhs", "workplace": "Firma X",
        "evidence": "no", "evidence_note": "", "wants": "talk", "visibility": "school",
        "danger": False,
    }  # fmt: skip
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


async def test_keys_then_adviser_then_the_adviser_reads_the_report(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"

    init = cli(config, "keys", "init")
    assert init.returncode == 0, init.stderr
    recovery_text = next(
        line for line in init.stdout.splitlines() if line.startswith("stagemeld-recovery-key-v1")
    )
    again = cli(config, "keys", "init")
    assert again.returncode == 1 and "already exist" in again.stderr

    add = ("adviser", "add", "--passphrase-stdin", "--adviser")
    short = cli(config, *add, "hhs-vp", stdin="kort\n")
    assert short.returncode == 2 and "at least 12" in short.stderr
    unknown = cli(config, *add, "nobody", stdin=PASSPHRASE + "\n")
    assert unknown.returncode == 2 and "no adviser nobody" in unknown.stderr
    added = cli(config, *add, "hhs-vp", stdin=PASSPHRASE + "\n")
    assert added.returncode == 0, added.stderr
    totp_secret = re.search(r"TOTP secret[^:]*: ([A-Z2-7]{32})", added.stdout)
    recovery_code = re.search(r"recovery code[^:]*: ([A-Z2-7-]{24})", added.stdout)
    assert totp_secret and recovery_code, added.stdout
    twice = cli(config, *add, "hhs-vp", stdin=PASSPHRASE + "\n")
    assert twice.returncode == 1 and "already has a key" in twice.stderr

    services = await build_services(settings)
    try:
        filed = await file_draft(services, draft())
        assert await services.advisers.unlock("hhs-vp", "verkeerde wachtzin") is None
        key = await services.advisers.unlock("hhs-vp", PASSPHRASE)
        assert key is not None
        content = await services.reports.read_as_adviser(filed.report_id, "hhs-vp", key)
        assert content is not None and content["story"] == "Ze lachten om mijn accent."
        assert content["workplace"] == "Firma X"
        other = await services.reports.read_as_adviser(filed.report_id, "mondriaan-vp", key)
        assert other is None  # not routed to them
        recovered = await services.reports.read_with_recovery(
            filed.report_id, private_key_from_text(recovery_text)
        )
        assert recovered is not None and recovered["story"] == content["story"]
        # The CLI's enrolment made a console account: passphrase + TOTP log in.
        accounts = accounts_for(services)
        code = crypto.totp_code(totp_secret.group(1), datetime.now(UTC))
        assert isinstance(await accounts.login("hhs-vp", PASSPHRASE, code), LoggedIn)
    finally:
        await services.close()


async def test_adviser_add_prints_a_one_time_link_that_enrols(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(web={"public_url": "https://meld.example.nl"})
    config = tmp_path / "config.yaml"
    made = cli(config, "adviser", "add", "--adviser", "mondriaan-vp")
    assert made.returncode == 0, made.stderr
    link = re.search(r"https://meld\.example\.nl/console/enrol/([A-Za-z0-9_-]{40,})", made.stdout)
    assert link, made.stdout
    services = await build_services(settings)
    try:
        accounts = accounts_for(services)
        assert await accounts.link_adviser(link.group(1)) == "mondriaan-vp"
        async with services.sessions() as session:
            stored = (await session.scalars(select(Enrolment.token_hash))).all()
        assert stored == [crypto.token_hash(link.group(1))]  # the hash, never the token
    finally:
        await services.close()


async def test_audit_verify_says_ok_then_names_the_broken_entry(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"
    for adviser in ("hhs-vp", "mondriaan-vp", "sbb-adviseur"):
        assert cli(config, "adviser", "add", "--adviser", adviser).returncode == 0
    ok = cli(config, "audit", "verify")
    assert ok.returncode == 0 and ok.stdout.strip() == "audit chain ok (3 entries)", ok
    services = await build_services(settings)
    try:
        async with services.sessions() as session, session.begin():
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == 2).values(detail="edited")
            )
    finally:
        await services.close()
    broken = cli(config, "audit", "verify")
    assert broken.returncode == 1 and "broken at seq 2" in broken.stderr
