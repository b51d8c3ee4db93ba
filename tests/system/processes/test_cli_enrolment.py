"""`stagemeld adviser add` as the operator's act outside the database: it will not hand
an adviser who held a key a new one unless told `--re-enrol`, it trusts the verified
audit chain rather than `adviser_keys` for that, and `stagemeld audit verify` names an
enrolment that no issued link explains."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, update

from bot.app.container import Container, build_container
from bot.app.settings import Settings
from storage.crypto import second_factor
from storage.db.models import AdviserAccount, AdviserKey, AuditEntry, Enrolment
from storage.repositories import audit
from storage.repositories.accounts.credentials import LoginRefused
from tests.support.harness import cli

PASSPHRASE = "een lange wachtzin voor de vertrouwenspersoon"
LINK = re.compile(r"/console/enrol/([A-Za-z0-9_-]{40,})")


def _token(out: str) -> str:
    found = LINK.search(out)
    assert found, out
    return found.group(1)


async def _enrol(container: Container, token: str, org_id: str) -> str | LoginRefused:
    new = await container.accounts.prepare(PASSPHRASE)
    assert not isinstance(new, LoginRefused)
    code = second_factor.totp_code(new.totp_secret, datetime.now(UTC))
    return await container.accounts.enrol(token, org_id, new, code)


async def _remove(container: Container, adviser_id: str) -> None:
    """The database writer deletes the adviser's key and account rows."""
    async with container.sessions() as session, session.begin():
        await session.execute(delete(AdviserAccount).where(AdviserAccount.adviser_id == adviser_id))
        await session.execute(delete(AdviserKey).where(AdviserKey.adviser_id == adviser_id))


async def test_an_adviser_who_held_a_key_gets_a_new_one_only_with_re_enrol(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"
    made = cli(config, "adviser", "add", "--adviser", "hhs-vp")
    assert made.returncode == 0, made.stderr
    container = await build_container(settings)
    try:
        assert await _enrol(container, _token(made.stdout), "hhs") == "hhs-vp"
        await _remove(container, "hhs-vp")
    finally:
        await container.close()

    refused = cli(config, "adviser", "add", "--adviser", "hhs-vp")
    assert refused.returncode == 1 and not LINK.search(refused.stdout), refused
    assert "held a key (audit entry no. " in refused.stderr and "--re-enrol" in refused.stderr
    stdin = cli(config, "adviser", "add", "--passphrase-stdin", "--adviser", "hhs-vp",
                stdin=PASSPHRASE + "\n")  # fmt: skip
    assert stdin.returncode == 1 and "held a key" in stdin.stderr, stdin

    approved = cli(config, "adviser", "add", "--adviser", "hhs-vp", "--re-enrol")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith("re-enrolment link for hhs-vp")
    container = await build_container(settings)
    try:
        assert await _enrol(container, _token(approved.stdout), "hhs") == "hhs-vp"
        assert await container.advisers.has_key("hhs-vp")
    finally:
        await container.close()
    verified = cli(config, "audit", "verify")
    assert verified.returncode == 0, verified


async def test_a_broken_chain_cannot_vouch_for_a_first_enrolment(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """The writer deletes the audit entry that shows the key as well: the chain breaks,
    and `adviser add` will not take the rows' word that the adviser never had a key."""
    settings = make_settings()
    config = tmp_path / "config.yaml"
    made = cli(config, "adviser", "add", "--passphrase-stdin", "--adviser", "mondriaan-vp",
               stdin=PASSPHRASE + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    container = await build_container(settings)
    try:
        await _remove(container, "mondriaan-vp")
        async with container.sessions() as session, session.begin():
            await session.execute(delete(AuditEntry).where(AuditEntry.action == "enrol_key"))
    finally:
        await container.close()
    refused = cli(config, "adviser", "add", "--adviser", "mondriaan-vp")
    assert refused.returncode == 1 and "does not check out" in refused.stderr, refused
    approved = cli(config, "adviser", "add", "--adviser", "mondriaan-vp", "--re-enrol")
    assert approved.returncode == 0 and LINK.search(approved.stdout), approved.stderr


async def test_audit_verify_names_an_enrolment_without_a_link(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """What the server appended when it still accepted a planted `enrolments` row."""
    settings = make_settings()
    config = tmp_path / "config.yaml"
    assert cli(config, "adviser", "add", "--adviser", "hhs-vp").returncode == 0
    container = await build_container(settings)
    try:
        async with container.sessions() as session, session.begin():
            seq = await audit.append(
                session, container.keys.server, at=datetime.now(UTC), actor="sbb-adviseur",
                action="enrol", org_id="sbb",
            )  # fmt: skip
    finally:
        await container.close()
    verified = cli(config, "audit", "verify")
    assert verified.returncode == 1, verified
    assert f"the enrolment at seq {seq} follows no enrolment link" in verified.stderr


async def test_a_changed_link_row_is_refused_by_the_server(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """The flag the operator's MAC carries cannot be set in the database."""
    settings = make_settings()
    config = tmp_path / "config.yaml"
    made = cli(config, "adviser", "add", "--adviser", "hhs-vp")
    assert made.returncode == 0, made.stderr
    container = await build_container(settings)
    try:
        async with container.sessions() as session, session.begin():
            await session.execute(update(Enrolment).values(reenrol=True))
        assert await _enrol(container, _token(made.stdout), "hhs") == LoginRefused("not_authentic")
    finally:
        await container.close()
