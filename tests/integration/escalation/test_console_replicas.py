"""Console sessions shared by replicas through the database.

Two console apps over one database are two replicas; `RoundRobin` plays the proxy that
sends each request to the next one. A session started on one is served by the other,
its language sticks on both, and a logout or the idle limit on one ends it on both. The
row holds the adviser's key sealed under the cookie's token, which is not stored: the
database file alone opens nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app.container import Container, build_container
from bot.app.settings import load_settings
from escalation.console.sessions import COOKIE
from storage.crypto import aead, console_session, hpke_seal, private_keys, tokens
from storage.db.models import ConsoleSessionRow
from tests.conftest import base_config, save_config
from tests.support.case_helpers import file_for
from tests.support.console_client import BASE, ConsoleWorld, make_world, now_clock
from tests.support.storage_backends import postgres_database
from tests.system.seizure.attacker import Opener
from tests.system.seizure.keyring import Keyring


@pytest.fixture(params=["sqlite", "postgresql"])
async def container(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    data = base_config(tmp_path)
    async with _database(request.param, data["database"]["url"]) as url:
        data["database"]["url"] = url
        path = tmp_path / "config.yaml"
        save_config(path, data)
        container = await build_container(load_settings(path))
        try:
            yield container
        finally:
            await container.close()


def _database(kind: str, sqlite_url: str) -> Any:
    if kind == "postgresql":
        return postgres_database()
    return _Given(sqlite_url)


class _Given:
    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> str:
        return self.url

    async def __aexit__(self, *_: object) -> None:
        return None


class RoundRobin:
    """The proxy: each request to the next replica, in turn."""

    def __init__(self, *apps: Any) -> None:
        self.apps = itertools.cycle(apps)
        self.served: list[int] = []
        self._ids = {id(a): i for i, a in enumerate(apps)}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = next(self.apps)
        if scope["type"] == "http":
            self.served.append(self._ids[id(app)])
        await app(scope, receive, send)


@pytest.fixture
def replicas(container: Container) -> tuple[ConsoleWorld, ConsoleWorld]:
    clock = now_clock()
    return make_world(container, clock), make_world(container, clock)


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def _rows(world: ConsoleWorld) -> int:
    async with world.container.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ConsoleSessionRow)) or 0)


async def test_one_session_is_served_by_either_replica_and_ends_on_both(
    replicas: tuple[ConsoleWorld, ConsoleWorld],
) -> None:
    a, b = replicas
    hhs = await a.enrol("hhs-vp")
    report_id = await file_for(
        a.container.keys, a.container.reports, "hhs", [hhs], a.clock(),
    )  # fmt: skip
    proxy = RoundRobin(a.app, b.app)
    async with _client(proxy) as browser:
        # The login form comes from one replica and is posted to the other.
        signed_in = await a.login(browser, hhs)
        assert signed_in.status_code == 303, signed_in.text
        for _ in range(4):  # both replicas open the report with the one session
            assert (await browser.get(f"/console/reports/{report_id}")).status_code == 200
        assert set(proxy.served) == {0, 1}
        assert await _rows(a) == 1
        await browser.get("/console/reports?lang=en")  # chosen on one replica …
        for _ in range(2):  # … both answer in English
            assert 'lang="en"' in (await browser.get("/console/reports")).text
        form = await a.csrf_form(browser, "/console/reports")
        assert (await browser.post("/console/logout", data=form)).status_code == 303
        assert await _rows(a) == 0
        for _ in range(2):  # neither replica serves it any more
            assert (await browser.get(f"/console/reports/{report_id}")).status_code == 303


async def test_the_idle_limit_deletes_the_row_for_every_replica(
    replicas: tuple[ConsoleWorld, ConsoleWorld],
) -> None:
    a, b = replicas
    hhs = await a.enrol("hhs-vp")
    async with _client(a.app) as on_a, _client(b.app) as on_b:
        await a.login(on_a, hhs)
        on_b.cookies.update(dict(on_a.cookies))
        assert (await on_b.get("/console/reports")).status_code == 200
        a.clock.advance(timedelta(minutes=29))
        assert (await on_a.get("/console/reports")).status_code == 200  # touched: still live
        a.clock.advance(timedelta(minutes=29))
        assert (await on_b.get("/console/reports")).status_code == 200
        a.clock.advance(timedelta(minutes=31))
        assert (await on_a.get("/console/reports")).status_code == 303
        assert await _rows(a) == 0
        assert (await on_b.get("/console/reports")).status_code == 303


async def test_the_database_alone_opens_no_session(
    replicas: tuple[ConsoleWorld, ConsoleWorld],
) -> None:
    """A disk copy has the row but not the cookie: neither the token nor the key is in
    the database, and the sealed key opens only with that token and adviser."""
    a, _ = replicas
    hhs = await a.enrol("hhs-vp")
    async with _client(a.app) as browser:
        await a.login(browser, hhs)
        token = browser.cookies[COOKIE]
    async with a.container.sessions() as session:
        row = (await session.scalars(select(ConsoleSessionRow))).one()
    assert row.lookup == console_session.session_lookup(token) and row.adviser_id == "hhs-vp"
    assert token.encode() not in row.key_sealed + row.lookup
    private = console_session.open_session_key(token, row.key_sealed, adviser_id="hhs-vp")
    assert hpke_seal.public_bytes(private) == hhs.public_key
    with pytest.raises(aead.CryptoError):
        console_session.open_session_key(tokens.new_token(), row.key_sealed, adviser_id="hhs-vp")
    with pytest.raises(aead.CryptoError):
        console_session.open_session_key(token, row.key_sealed, adviser_id="hhs-vp2")
    # The seizure test's attacker: every key in keys.dir, every decryptor, every label.
    keyring = Keyring.load(a.container.settings.keys.dir, range(0))
    assert keyring.store is not None and "console-session" in keyring.labels
    assert Opener(keyring).open(row.key_sealed, (row.adviser_id, row.lookup.hex())) == []
    db = a.container.settings.database.url
    if db.startswith("sqlite"):
        await a.container.close()
        raw = b"".join(
            p.read_bytes() for p in Path(db.split("///", 1)[1]).parent.glob("stagemeld.db*")
        )
        assert token.encode() not in raw
        assert private_keys.private_key_bytes(private) not in raw


async def test_a_forged_cookie_is_not_a_session(
    replicas: tuple[ConsoleWorld, ConsoleWorld],
) -> None:
    a, b = replicas
    async with _client(b.app) as browser:
        browser.cookies.set(COOKIE, tokens.new_token())
        assert (await browser.get("/console/reports")).status_code == 303
    assert await _rows(a) == 0
