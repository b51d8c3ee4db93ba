"""A database writer (no keys.dir) tries to plant an adviser: an `enrolments` row of
their own making, or one for an adviser whose key and account rows they deleted. The
console must refuse both, the operator's re-enrolment must still work, and `audit
verify` must flag an enrolment that no issued link explains. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from escalation.console.texts import ConsoleTexts
from storage.crypto import second_factor, tokens
from storage.db.models import AdviserAccount, AdviserKey, Enrolment
from storage.repositories import audit
from storage.repositories.accounts.credentials import LoginRefused
from tests.conftest import base_config, save_config
from tests.support.case_helpers import PASSPHRASE, Enrolled
from tests.support.console_client import ConsoleWorld, make_world
from tests.support.storage_backends import postgres_database

NL = ConsoleTexts("nl")
ATTACKER = "een wachtzin die de aanvaller zelf koos"


@pytest.fixture(params=["sqlite", "postgresql"])
async def container(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    data = base_config(tmp_path)
    if request.param == "sqlite":
        async for built in _built(tmp_path, data):
            yield built
        return
    async with postgres_database() as url:
        data["database"]["url"] = url
        async for built in _built(tmp_path, data):
            yield built


async def _built(tmp_path: Path, data: dict[str, object]) -> AsyncIterator[Container]:
    path = tmp_path / "config.yaml"
    save_config(path, data)
    container = await build_container(load_settings(path))
    try:
        yield container
    finally:
        await container.close()


@pytest.fixture
def world(container: Container) -> ConsoleWorld:
    return make_world(container)


async def _walk(world: ConsoleWorld, token: str, passphrase: str = PASSPHRASE) -> httpx.Response:
    """The enrolment page from the link to the recovery code; the first refusal if any."""
    return (await _walk_secret(world, token, passphrase))[0]


async def _walk_secret(
    world: ConsoleWorld, token: str, passphrase: str = PASSPHRASE
) -> tuple[httpx.Response, str]:
    """`_walk`, and the TOTP secret the page showed ("" if it got no further)."""
    async with world.client() as client:
        shown = await client.get(f"/console/enrol/{token}")
        if shown.status_code != 200:
            return shown, ""
        form = await world.csrf_form(client, f"/console/enrol/{token}")
        totp = await client.post(
            f"/console/enrol/{token}",
            data={**form, "passphrase": passphrase, "again": passphrase},
        )
        found = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', totp.text)
        if totp.status_code != 200 or found is None:
            return totp, ""
        secret = found.group(1).replace(" ", "")
        code = second_factor.totp_code(secret, world.clock())
        done = await client.post(f"/console/enrol/{token}/confirm", data={**form, "code": code})
        return done, secret


async def _plant(world: ConsoleWorld, adviser_id: str, **row: object) -> str:
    """What the writer does: a token of their own choosing, its hash in a new row."""
    token = tokens.new_token()
    values = {"expires_at": world.clock() + timedelta(hours=72), "used_at": None} | row
    async with world.container.sessions() as session, session.begin():
        session.add(Enrolment(token_hash=tokens.token_hash(token), adviser_id=adviser_id, **values))
    return token


async def _keys_of(world: ConsoleWorld, adviser_id: str) -> bytes | None:
    async with world.container.sessions() as session:
        key = await session.get(AdviserKey, adviser_id)
    return key.public_key if key is not None else None


async def _delete_key_and_account(world: ConsoleWorld, adviser_id: str) -> None:
    async with world.container.sessions() as session, session.begin():
        await session.execute(delete(AdviserAccount).where(AdviserAccount.adviser_id == adviser_id))
        await session.execute(delete(AdviserKey).where(AdviserKey.adviser_id == adviser_id))


async def test_a_forged_enrolment_row_enrols_nobody(
    world: ConsoleWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    # An adviser in the config who has not enrolled yet: a row with no MAC at all ...
    planted = await _plant(world, "hhs-vp")
    refused = await _walk(world, planted, ATTACKER)
    assert refused.status_code == 403, refused.text
    assert NL("enrol.not_authentic") in refused.text
    assert await _keys_of(world, "hhs-vp") is None  # nothing is ever sealed to the writer
    # ... or a genuine MAC copied from another adviser's link, or a guess at one.
    genuine = await world.console.accounts.create_link("mondriaan-vp")
    assert isinstance(genuine, str)
    async with world.container.sessions() as session:
        row = await session.get(Enrolment, tokens.token_hash(genuine))
        assert row is not None and row.mac is not None
        copied = row.mac
    for mac in (copied, bytes(32)):
        token = await _plant(world, "hhs-vp", mac=mac)
        refused = await _walk(world, token, ATTACKER)
        assert refused.status_code == 403, refused.text
        assert NL("enrol.not_authentic") in refused.text
        assert await world.console.accounts.link_adviser(token) is None
        assert await _keys_of(world, "hhs-vp") is None  # nothing is ever sealed to the writer
        assert token not in caplog.text
    assert "enrolment link for adviser hhs-vp fails its MAC" in caplog.text
    # The genuine link still works for its own adviser.
    assert (await _walk(world, genuine)).status_code == 200


async def test_a_genuine_link_changed_in_the_database_enrols_nobody(world: ConsoleWorld) -> None:
    accounts = world.console.accounts
    for change in (
        {"expires_at": world.clock() + timedelta(days=30)},  # a link that never expires
        {"reenrol": True},  # made a re-enrolment the operator never approved
        {"adviser_id": "hhs-vp"},  # re-pointed to another adviser
    ):
        token = await accounts.create_link("mondriaan-vp")
        assert isinstance(token, str)
        async with world.container.sessions() as session, session.begin():
            await session.execute(
                update(Enrolment)
                .where(Enrolment.token_hash == tokens.token_hash(token))
                .values(**change)
            )
        assert await accounts.link_adviser(token) is None, change
        assert await accounts.link_check(token) == LoginRefused("not_authentic"), change


async def test_deleting_an_advisers_key_then_planting_a_link_is_refused(
    world: ConsoleWorld,
) -> None:
    accounts = world.console.accounts
    first = await accounts.create_link("hhs-vp")
    spare = await accounts.create_link("hhs-vp")  # the operator sent a second one
    assert isinstance(first, str) and isinstance(spare, str)
    enrolled = await _walk(world, first)
    assert enrolled.status_code == 200, enrolled.text
    own_key = await _keys_of(world, "hhs-vp")
    assert own_key is not None

    await _delete_key_and_account(world, "hhs-vp")
    planted = await _walk(world, await _plant(world, "hhs-vp"), ATTACKER)
    assert planted.status_code == 403 and NL("enrol.not_authentic") in planted.text
    # Even a genuine first-enrolment link (whose token the writer got hold of) gives an
    # adviser who held a key no new one: the audit chain remembers, the rows do not.
    again = await _walk(world, spare, ATTACKER)
    assert again.status_code == 403 and NL("enrol.held_key") in again.text
    assert await _keys_of(world, "hhs-vp") is None
    new = await accounts.prepare(ATTACKER)
    assert not isinstance(new, LoginRefused)
    code = second_factor.totp_code(new.totp_secret, world.clock())
    assert await accounts.enrol(spare, "hhs", new, code) == LoginRefused("held_key")
    async with world.container.sessions() as session:
        assert (await audit.verify(session, world.container.keys.server)).ok


async def test_the_operator_approves_a_re_enrolment(world: ConsoleWorld) -> None:
    accounts = world.console.accounts
    first = await accounts.create_link("hhs-vp")
    assert isinstance(first, str)
    assert (await _walk(world, first)).status_code == 200
    old_key = await _keys_of(world, "hhs-vp")
    await _delete_key_and_account(world, "hhs-vp")

    approved = await accounts.create_link("hhs-vp", reenrol=True)  # `adviser add --re-enrol`
    assert isinstance(approved, str)
    done, secret = await _walk_secret(world, approved)
    assert done.status_code == 200, done.text
    new_key = await _keys_of(world, "hhs-vp")
    assert new_key is not None and new_key != old_key
    world.step()
    who = Enrolled("hhs-vp", "hhs", secret, "", new_key)
    async with world.client() as client:
        assert (await world.login(client, who)).status_code == 303
    async with world.container.sessions() as session:
        assert (await audit.verify(session, world.container.keys.server)).ok


async def test_the_normal_path_link_enrol_login(world: ConsoleWorld) -> None:
    token = await world.console.accounts.create_link("hhs-vp")
    assert isinstance(token, str)
    done, secret = await _walk_secret(world, token)
    assert done.status_code == 200, done.text
    world.step()
    who = Enrolled("hhs-vp", "hhs", secret, "", b"")
    async with world.client() as client:
        assert (await world.login(client, who)).status_code == 303
    async with world.container.sessions() as session:
        verdict = await audit.verify(session, world.container.keys.server)
    assert verdict.ok, verdict


async def test_audit_verify_flags_an_enrolment_without_a_link(world: ConsoleWorld) -> None:
    """What the server wrote when it accepted a planted row (before links had a MAC): an
    "enrol" entry by the adviser that no issued link precedes."""
    server = world.container.keys.server
    token = await world.console.accounts.create_link("hhs-vp")
    assert isinstance(token, str)
    assert (await _walk(world, token)).status_code == 200
    async with world.container.sessions() as session, session.begin():
        planted = await audit.append(
            session, server, at=world.clock(), actor="mondriaan-vp", action="enrol",
            org_id="mondriaan",
        )  # fmt: skip
        await audit.append(
            session, server, at=world.clock(), actor="hhs-vp", action="enrol", org_id="hhs"
        )  # hhs-vp's one link is used up already
    async with world.container.sessions() as session:
        verdict = await audit.verify(session, server)
        rows = (await session.scalars(select(Enrolment.adviser_id))).all()
    assert not verdict.ok and verdict.reason == "enrol_without_link"
    assert verdict.broken_seq == planted and rows == ["hhs-vp"]


async def test_re_enrolment_replaces_an_account_left_without_its_key(world: ConsoleWorld) -> None:
    """The writer deletes only the key row: the adviser cannot log in, and the operator's
    `--re-enrol` link still gives them a working account (the old one is replaced)."""
    accounts = world.console.accounts
    first = await accounts.create_link("hhs-vp")
    assert isinstance(first, str)
    assert (await _walk(world, first)).status_code == 200
    async with world.container.sessions() as session, session.begin():
        await session.execute(delete(AdviserKey).where(AdviserKey.adviser_id == "hhs-vp"))
    assert await accounts.create_link("hhs-vp") == LoginRefused("exists")
    approved = await accounts.create_link("hhs-vp", reenrol=True)
    assert isinstance(approved, str)
    done, secret = await _walk_secret(world, approved)
    assert done.status_code == 200, done.text
    world.step()
    who = Enrolled("hhs-vp", "hhs", secret, "", b"")
    async with world.client() as client:
        assert (await world.login(client, who)).status_code == 303
