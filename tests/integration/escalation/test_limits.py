"""Guessing and starving: receipt guesses bounded across web sessions, Argon2id
scheduled by priority, console logins throttled by source."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import wiring
from bot.app.container import Container, build_container
from bot.app.settings import ConfigError, load_settings
from bot.channels.http.clients import ClientAddress
from bot.intake.guessing import Claim, GuessLimits, Refused
from dialogues import StatusLocked, StatusNotFound
from escalation.casework.directory import Adviser
from escalation.console.sessions import SessionStore
from storage.crypto import hpke_seal, kdf_thread, private_keys, receipt_keys, second_factor
from storage.crypto.kdf_thread import KdfBusy, KdfQueue, Priority
from storage.repositories.accounts import Accounts
from storage.repositories.accounts.credentials import LoginRefused
from tests.conftest import base_config, save_config
from tests.support import storage_backends
from tests.support.case_helpers import enrol
from tests.support.console_client import BASE, ConsoleWorld, make_world
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys
WRONG = "1234 5678 9012 3456"


async def _container(tmp_path: Path, **status: Any) -> Container:
    data = base_config(tmp_path)
    data["status"] = {**data.get("status", {}), **status}
    path = tmp_path / "config.yaml"
    save_config(path, data)
    return await build_container(load_settings(path))


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    c = await _container(tmp_path, per_address_per_hour=3, overall_per_hour=5)
    try:
        yield c
    finally:
        await c.close()


def _count_derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = receipt_keys.derive_receipt_keys

    def counting(code: str, *args: Any) -> receipt_keys.ReceiptKeys:
        seen.append(code)
        return real(code, *args)

    monkeypatch.setattr(receipt_keys, "derive_receipt_keys", counting)
    return seen


# --- receipt guessing across web sessions ----------------------------------------------


async def test_new_web_sessions_from_one_address_do_not_reset_the_guessing_bound(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every new web-chat cookie is a new chat, so the per-chat lock-out alone let one
    address guess forever. Per address, after 3 wrong codes (here) the next new session
    is refused kindly, with no Argon2id work."""
    derived = _count_derivations(monkeypatch)
    actions = wiring.follow_up(container)
    for session in range(3):
        found = await actions.status(f"web-session-{session}", WRONG, "203.0.113.9")
        assert isinstance(found, StatusNotFound)
    refused = await actions.status("web-session-new", WRONG, "203.0.113.9")
    assert refused == StatusLocked(minutes=60)
    assert len(derived) == 3
    # Another address still gets its tries; the overall bound (5) then stops everyone.
    assert isinstance(await actions.status("s-a", WRONG, "198.51.100.1"), StatusNotFound)
    assert isinstance(await actions.status("s-b", WRONG, "198.51.100.2"), StatusNotFound)
    stopped = await actions.status("s-c", WRONG, "198.51.100.3")
    assert isinstance(stopped, StatusLocked) and stopped.why == "busy"
    assert len(derived) == 5
    assert isinstance(await actions.withdraw("s-d", "", WRONG, "198.51.100.4"), StatusLocked)
    assert len(derived) == 5


def test_parallel_claims_cannot_pass_the_bound_and_right_codes_are_refunded() -> None:
    """The code is counted before its check, so parallel guesses are bounded; a right
    code is given back, and the windows slide."""
    now = [0.0]
    limits = GuessLimits(per_client=2, overall=3, window=3600, clock=lambda: now[0])
    first, second = limits.claim("a"), limits.claim("a")
    assert isinstance(first, Claim) and isinstance(second, Claim)
    assert limits.claim("a") == Refused("client", 3600)
    limits.refund(second)  # it opened the student's own report
    assert isinstance(limits.claim("a"), Claim)
    assert isinstance(limits.claim(""), Claim)  # Telegram: overall only
    assert limits.claim("b") == Refused("everyone", 3600)
    now[0] = 3600.0
    assert isinstance(limits.claim("b"), Claim)


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    """A guesser cannot pick a new address per request with a header."""
    clients = ClientAddress(["127.0.0.1", "::1", "10.0.0.0/8"])
    forged = {"x-forwarded-for": "1.1.1.1"}
    assert clients.of("203.0.113.9", forged) == "203.0.113.9"
    chain = {"x-forwarded-for": "1.1.1.1, 203.0.113.9, 10.0.0.2"}
    assert clients.of("127.0.0.1", chain) == "203.0.113.9"
    assert clients.of("127.0.0.1", {}) == "127.0.0.1"
    assert clients.of(None, forged) == ""


def test_the_numbers_are_validated(tmp_path: Path) -> None:
    data = base_config(tmp_path)
    data["status"] = {"per_address_per_hour": 700, "overall_per_hour": 600}
    path = tmp_path / "config.yaml"
    save_config(path, data)
    with pytest.raises(ConfigError, match="per_address_per_hour"):
        load_settings(path)
    data["status"] = {}
    data["web"]["trusted_proxies"] = ["proxy.example.nl"]
    save_config(path, data)
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(path)


# --- Argon2id scheduling ---------------------------------------------------------------


def test_a_filing_or_login_runs_before_every_queued_status_check() -> None:
    """One thread ran every derivation first come, first served, so 20 status checks
    ahead of a filing student delayed them 20 derivations. Block the thread, queue 20
    low then 1 high, release: the high one runs second."""
    queue = KdfQueue(max_low=20, workers=1)  # one thread busy: the order is the queue's
    release, order = threading.Event(), list[Any]()
    blocker = queue.submit(Priority.HIGH, release.wait)
    lows = [queue.submit(Priority.LOW, order.append, f"low{i}") for i in range(20)]
    high = queue.submit(Priority.HIGH, order.append, "high")
    with pytest.raises(KdfBusy):  # the bound on queued status checks
        queue.submit(Priority.LOW, order.append, "one too many")
    release.set()
    for future in [blocker, *lows, high]:
        future.result(timeout=30)  # type: ignore[attr-defined]
    assert order[0] == "high"
    assert order[1:] == [f"low{i}" for i in range(20)]


async def test_a_full_queue_says_busy_instead_of_waiting(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the bound a status check is refused as a value ("busy, try again in a
    minute"), and it does not count as a wrong guess."""

    async def busy(*_: Any) -> None:
        raise KdfBusy

    monkeypatch.setattr(container.student, "view", busy)
    found = await wiring.follow_up(container).status("chat", WRONG, "203.0.113.9")
    assert found == StatusLocked(minutes=1, why="busy")
    assert await container.attempts.locked_for("chat") is None
    text = container.dialogue.texts("en").get("status_busy", minutes=1)
    assert "try again" in text


async def test_status_checks_run_at_low_priority(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status check's derivation is queued as LOW, filing's as HIGH."""
    seen: list[Priority] = []
    real = kdf_thread._QUEUE.submit

    def spy(priority: Priority, *args: Any) -> Any:
        seen.append(priority)
        return real(priority, *args)

    monkeypatch.setattr(kdf_thread._QUEUE, "submit", spy)
    await wiring.follow_up(container).status("chat", WRONG, "")
    await kdf_thread.in_kdf_thread(len, "filing")
    assert seen == [Priority.LOW, Priority.HIGH]


# --- console login ---------------------------------------------------------------------


async def test_parallel_wrong_logins_evaluate_at_most_max_failures_passphrases(
    backend: Backend, keys: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock-out was checked before Argon2id and counted after it, so 20 parallel
    wrong logins were all evaluated with max_failures=5. Now each attempt is claimed in
    one statement before its work."""
    clock = Clock()
    accounts = Accounts(backend.sessions, keys[0], clock, max_failures=5)
    who = await enrol(accounts, "hhs-vp", "hhs")
    evaluated: list[str] = []
    real = private_keys.unprotect_private_key

    def counting(blob: bytes, secret: str) -> Any:
        evaluated.append(secret)
        return real(blob, secret)

    monkeypatch.setattr(private_keys, "unprotect_private_key", counting)
    code = second_factor.totp_code(who.totp_secret, clock())
    results = await asyncio.gather(
        *(accounts.login("hhs-vp", f"wrong passphrase {i}", code) for i in range(20))
    )
    assert len(evaluated) <= 5
    assert all(isinstance(r, LoginRefused) for r in results)
    assert sum(r.code == "locked" for r in results if isinstance(r, LoginRefused)) >= 15


def _client(world: ConsoleWorld, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=world.app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=BASE)


async def test_a_stranger_cannot_lock_an_adviser_out(tmp_path: Path) -> None:
    """Anyone who knew an adviser's e-mail address could keep the account locked. Now a
    stranger's failures lock the stranger's address (for this account and, past a bound,
    any account); the adviser elsewhere still logs in."""
    container = await _container(tmp_path)
    try:
        world = make_world(container)
        hhs = await world.enrol("hhs-vp")
        async with _client(world, "203.0.113.66") as stranger:
            for _ in range(6):
                refused = await world.login(stranger, hhs, passphrase="helemaal verkeerd")
                assert refused.status_code in (401, 429)
            assert refused.status_code == 429
            world.step()
            assert (await world.login(stranger, hhs)).status_code == 429
        world.step()
        async with _client(world, "198.51.100.7") as adviser:
            right = await world.login(adviser, hhs)
            assert right.status_code == 303, right.text
            assert (await adviser.get("/console/reports")).status_code == 200
    finally:
        await container.close()


async def test_a_source_is_throttled_over_all_accounts(tmp_path: Path) -> None:
    """One address trying many e-mail addresses is stopped too."""
    container = await _container(tmp_path)
    try:
        world = make_world(container)
        async with _client(world, "203.0.113.66") as stranger:
            codes = []
            for i in range(world.console.config.source_max_failures + 1):
                form = await world.csrf_form(stranger, "/console/login")
                form |= {"email": f"x{i}@example.nl", "passphrase": "p" * 12, "code": "000000"}
                codes.append((await stranger.post("/console/login", data=form)).status_code)
            assert codes[-1] == 429
    finally:
        await container.close()


def test_anonymous_sessions_cannot_evict_a_signed_in_one() -> None:
    """5,000 anonymous login pages evicted a signed-in adviser's session (one shared
    pool, oldest first). Now they have separate room."""
    store = SessionStore(timedelta(minutes=30), max_sessions=5000)
    clock = Clock()
    adviser = Adviser("hhs-vp", "VP", "hhs", "vp@hhs.example.nl", None, "adviser")
    key, _ = hpke_seal.generate_keypair()
    signed_in = store.sign_in(clock(), "nl", adviser, key)
    for _ in range(5000):
        clock.advance(timedelta(milliseconds=1))
        store.new(clock())
    live = store.get(signed_in.id, clock())
    assert live is not None and live.signed_in
