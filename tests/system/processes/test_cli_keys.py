"""`stagemeld keys init`, `stagemeld adviser add` (a one-time link, or enrolment from
standard input) and `stagemeld audit verify`, and what they make possible: an adviser
who unlocks their key with their passphrase reads a report sealed to them and logs in."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.app import wiring
from bot.app.container import build_container
from bot.app.settings import Settings
from bot.intake.filing import file_draft
from dialogues import Draft
from storage.crypto import hpke_seal, second_factor, tokens
from storage.crypto.private_keys import private_key_from_text
from storage.db.models import AdviserAccount, AuditEntry, Enrolment
from storage.repositories.accounts.credentials import LoggedIn, LoginRefused, NewCredentials
from tests.support.harness import cli
from tests.support.storage_helpers import read_as_adviser, unlock

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
    # No terminal here, so the key went to a 0600 file, not stdout.
    handed = tmp_path / "var" / "RECOVERY-KEY-move-offline.txt"
    assert str(handed) in init.stdout and "offline" in init.stdout
    assert "stagemeld-recovery-key-v1" not in init.stdout + init.stderr
    assert oct(handed.stat().st_mode)[-3:] == "600"
    recovery_text = next(
        line
        for line in handed.read_text(encoding="utf-8").splitlines()
        if line.startswith("stagemeld-recovery-key-v1")
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
    link = re.search(r"/console/enrol/([A-Za-z0-9_-]{40,})", added.stdout)
    assert link, added.stdout
    twice = cli(config, *add, "hhs-vp", stdin=PASSPHRASE + "\n")
    assert twice.returncode == 1 and "already has a key" in twice.stderr

    container = await build_container(settings)
    try:
        filed = await file_draft(wiring.filing(container), draft())
        assert await unlock(container.advisers, "hhs-vp", "verkeerde wachtzin") is None
        key = await unlock(container.advisers, "hhs-vp", PASSPHRASE)
        assert key is not None
        content = await read_as_adviser(container.reports, filed.report_id, "hhs-vp", key)
        assert content is not None and content["story"] == "Ze lachten om mijn accent."
        assert content["workplace"] == "Firma X"
        other = await read_as_adviser(container.reports, filed.report_id, "mondriaan-vp", key)
        assert other is None  # not routed to them
        recovered = await container.reports.read_with_recovery(
            filed.report_id, private_key_from_text(recovery_text)
        )
        assert recovered is not None and recovered["story"] == content["story"]
        # The account is the adviser's to set up at the link: the passphrase they were
        # given opens the key, their own replaces it, TOTP and recovery code are made there.
        accounts = container.accounts
        assert await accounts.key_without_account("hhs-vp")
        assert await accounts.link_adviser(link.group(1)) == "hhs-vp"
        own = "mijn eigen wachtzin, niet die van de beheerder"
        wrong = await accounts.prepare(own, current="verkeerde wachtzin", adviser_id="hhs-vp")
        assert isinstance(wrong, LoginRefused) and wrong.code == "wrong_current"
        new = await accounts.prepare(own, current=PASSPHRASE, adviser_id="hhs-vp")
        assert isinstance(new, NewCredentials) and new.public_key == hpke_seal.public_bytes(key)
        code = second_factor.totp_code(new.totp_secret, datetime.now(UTC))
        assert await accounts.enrol(link.group(1), "hhs", new, code) == "hhs-vp"
        assert not await accounts.key_without_account("hhs-vp")
        container.accounts.clock = lambda: datetime.now(UTC) + timedelta(seconds=30)
        later = second_factor.totp_code(new.totp_secret, datetime.now(UTC) + timedelta(seconds=30))
        assert isinstance(await accounts.login("hhs-vp", own, later), LoggedIn)
        # The report filed before still opens: same key pair, now under the adviser's own.
        key = await unlock(container.advisers, "hhs-vp", own)
        assert key is not None
        assert await read_as_adviser(container.reports, filed.report_id, "hhs-vp", key)
        assert await unlock(container.advisers, "hhs-vp", PASSPHRASE) is None
    finally:
        await container.close()


async def test_adviser_add_passphrase_stdin_never_shows_the_operator_a_second_factor(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A second factor never passes through the operator: `adviser add
    --passphrase-stdin` prints neither the adviser's TOTP secret nor their recovery
    code: no secret of that shape is in its output, and no account (TOTP) exists until
    the adviser's link."""
    settings = make_settings()
    config = tmp_path / "config.yaml"
    added = cli(config, "adviser", "add", "--passphrase-stdin", "--adviser", "hhs-vp",
                stdin=PASSPHRASE + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    out = added.stdout + added.stderr
    assert "TOTP secret" not in out, out
    assert not re.search(r"\b[A-Z2-7]{32}\b", out), out  # a base32 TOTP secret
    assert not re.search(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){4}", out), out  # a recovery code
    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            assert await session.get(AdviserAccount, "hhs-vp") is None  # no TOTP exists yet
        assert await container.advisers.has_key("hhs-vp")  # reports are sealed to it now
    finally:
        await container.close()
    again = cli(config, "adviser", "add", "--adviser", "hhs-vp")  # the link expired? a new one
    assert again.returncode == 0 and "/console/enrol/" in again.stdout, again.stderr


async def test_adviser_add_prints_a_one_time_link_that_enrols(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(web={"public_url": "https://meld.example.nl"})
    config = tmp_path / "config.yaml"
    made = cli(config, "adviser", "add", "--adviser", "mondriaan-vp")
    assert made.returncode == 0, made.stderr
    link = re.search(r"https://meld\.example\.nl/console/enrol/([A-Za-z0-9_-]{40,})", made.stdout)
    assert link, made.stdout
    container = await build_container(settings)
    try:
        accounts = container.accounts
        assert await accounts.link_adviser(link.group(1)) == "mondriaan-vp"
        async with container.sessions() as session:
            stored = (await session.scalars(select(Enrolment.token_hash))).all()
        assert stored == [tokens.token_hash(link.group(1))]  # the hash, never the token
    finally:
        await container.close()


async def test_audit_verify_says_ok_then_names_the_broken_entry(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"
    for adviser in ("hhs-vp", "mondriaan-vp", "sbb-adviseur"):
        assert cli(config, "adviser", "add", "--adviser", adviser).returncode == 0
    ok = cli(config, "audit", "verify")
    assert ok.returncode == 0, ok
    assert ok.stdout.splitlines()[0] == "audit chain ok (3 entries)", ok
    assert re.fullmatch(r"head: no\. 3, [0-9a-f]{4}( [0-9a-f]{4}){3}", ok.stdout.splitlines()[1])
    container = await build_container(settings)
    try:
        async with container.sessions() as session, session.begin():
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == 2).values(detail="edited")
            )
    finally:
        await container.close()
    broken = cli(config, "audit", "verify")
    assert broken.returncode == 1 and "broken at seq 2" in broken.stderr


def test_the_recovery_key_goes_to_a_terminal_or_to_a_new_0600_file_never_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The recovery private key never goes where a log keeps it. On a terminal it is
    printed; otherwise a new 0600 file takes it (a second one never overwrites the
    first) and the log names the file, not the key."""
    import io

    from bot.app.container import hand_out_recovery_key

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    text = "stagemeld-recovery-key-v1: ABCD EFGH"
    screen = Terminal()
    with caplog.at_level(logging.DEBUG):
        assert hand_out_recovery_key(tmp_path / "keys", text, screen) is None
        first = hand_out_recovery_key(tmp_path / "keys", text, io.StringIO())
        second = hand_out_recovery_key(tmp_path / "keys", text, io.StringIO())
    assert text in screen.getvalue()
    assert first == tmp_path / "RECOVERY-KEY-move-offline.txt"
    assert second == tmp_path / "RECOVERY-KEY-move-offline-2.txt"
    for path in (first, second):
        assert path is not None and oct(path.stat().st_mode)[-3:] == "600"
        assert text in path.read_text(encoding="utf-8")
    assert "ABCD EFGH" not in caplog.text and str(first) in caplog.text


def test_every_start_warns_while_the_recovery_key_file_is_on_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file is a copy of the key that opens every report; a disk copy taken before
    the operator moves it offline would read everything."""
    import io

    from bot.app.container import hand_out_recovery_key, warn_about_recovery_file

    assert warn_about_recovery_file(tmp_path / "keys") == []
    written = hand_out_recovery_key(
        tmp_path / "keys", "stagemeld-recovery-key-v1: XY", io.StringIO()
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert warn_about_recovery_file(tmp_path / "keys") == [written]
    assert str(written) in caplog.text and "XY" not in caplog.text
    assert written is not None
    written.unlink()
    assert warn_about_recovery_file(tmp_path / "keys") == []
