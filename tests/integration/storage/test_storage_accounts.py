"""Advisers' accounts: one-time links, login with passphrase + TOTP (no replay),
lock-out after repeated failures, and recovery that keeps the key pair."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.crypto import hpke_seal, private_keys, second_factor, tokens
from storage.crypto.keys import KeyStore
from storage.db.models import AdviserAccount, Enrolment
from storage.repositories.accounts import Accounts
from storage.repositories.accounts.credentials import LoggedIn, LoginRefused
from tests.support import storage_backends
from tests.support.case_helpers import PASSPHRASE, Enrolled, enrol, login
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys


def accounts_for(backend: Backend, keys: KeyStore, clock: Clock) -> Accounts:
    return Accounts(
        backend.sessions, keys, clock, max_failures=3, lock=timedelta(minutes=15),
        link_valid=timedelta(hours=72),
    )  # fmt: skip


async def test_an_enrolment_link_works_once_and_only_its_hash_is_stored(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    accounts = accounts_for(backend, keys[0], clock)
    token = await accounts.create_link("hhs-vp")
    assert isinstance(token, str) and len(token) >= 40
    async with backend.sessions() as session:
        row = await session.scalar(select(Enrolment))
    assert row is not None and row.token_hash == tokens.token_hash(token)
    assert token.encode() not in row.token_hash
    assert await accounts.link_adviser(token) == "hhs-vp"
    assert await accounts.link_adviser("not-a-token") is None

    assert await accounts.prepare("too short") == LoginRefused("short_passphrase")
    new = await accounts.prepare(PASSPHRASE)
    assert not isinstance(new, LoginRefused)
    wrong = await accounts.enrol(token, "hhs", new, "000000")
    if second_factor.totp_code(new.totp_secret, clock()) != "000000":
        assert wrong == LoginRefused("wrong_code")
    code = second_factor.totp_code(new.totp_secret, clock())
    assert await accounts.enrol(token, "hhs", new, code) == "hhs-vp"
    assert await accounts.link_adviser(token) is None
    assert await accounts.enrol(token, "hhs", new, code) == LoginRefused("bad_link")
    assert await accounts.create_link("hhs-vp") == LoginRefused("exists")

    async with backend.sessions() as session:
        account = await session.get(AdviserAccount, "hhs-vp")
    assert account is not None and new.totp_secret.encode() not in account.totp_sealed

    # The code used to confirm enrolment cannot be replayed to log in.
    assert isinstance(await accounts.login("hhs-vp", PASSPHRASE, code), LoginRefused)
    clock.advance(timedelta(seconds=30))
    who = Enrolled("hhs-vp", "hhs", new.totp_secret, new.recovery_code, new.public_key)
    assert hpke_seal.public_bytes(await login(accounts, who, clock())) == new.public_key


async def test_an_expired_link_opens_nothing(backend: Backend, keys: tuple[KeyStore, str]) -> None:
    clock = Clock()
    accounts = accounts_for(backend, keys[0], clock)
    token = await accounts.create_link("hhs-vp")
    assert isinstance(token, str)
    clock.advance(timedelta(hours=73))
    assert await accounts.link_adviser(token) is None
    new = await accounts.prepare(PASSPHRASE)
    assert not isinstance(new, LoginRefused)
    code = second_factor.totp_code(new.totp_secret, clock())
    assert await accounts.enrol(token, "hhs", new, code) == LoginRefused("bad_link")


async def test_login_needs_passphrase_and_a_fresh_code(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    accounts = accounts_for(backend, keys[0], clock)
    who = await enrol(accounts, "hhs-vp", "hhs")
    code = second_factor.totp_code(who.totp_secret, clock())
    assert await accounts.login("hhs-vp", "verkeerde wachtzin!", code) == LoginRefused("wrong", 1)
    ok = await accounts.login("hhs-vp", PASSPHRASE, code)
    assert isinstance(ok, LoggedIn)
    assert hpke_seal.public_bytes(ok.private_key) == who.public_key
    assert await accounts.login("hhs-vp", PASSPHRASE, code) == LoginRefused("wrong", 1)  # replay
    assert await accounts.login("nobody", PASSPHRASE, code) == LoginRefused("wrong")


async def test_repeated_failures_lock_the_account_for_a_while(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    accounts = accounts_for(backend, keys[0], clock)
    who = await enrol(accounts, "hhs-vp", "hhs")
    code = second_factor.totp_code(who.totp_secret, clock())
    assert (await accounts.login("hhs-vp", "fout fout fout", code)).failures == 1  # type: ignore[union-attr]
    assert (await accounts.login("hhs-vp", "fout fout fout", code)).failures == 2  # type: ignore[union-attr]
    locked = await accounts.login("hhs-vp", "fout fout fout", code)
    assert isinstance(locked, LoginRefused) and locked.code == "locked"
    # Even the right passphrase and code are refused while locked.
    right = await accounts.login("hhs-vp", PASSPHRASE, code)
    assert isinstance(right, LoginRefused) and right.code == "locked"
    clock.advance(timedelta(minutes=16))
    assert hpke_seal.public_bytes(await login(accounts, who, clock())) == who.public_key


async def test_recovery_sets_a_new_passphrase_and_totp_and_keeps_the_key(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    accounts = accounts_for(backend, keys[0], clock)
    who = await enrol(accounts, "hhs-vp", "hhs")
    assert await accounts.begin_recovery("hhs-vp", "AAAA-BBBB", "nieuwe lange wachtzin") == (
        LoginRefused("wrong", 1)
    )
    new = await accounts.begin_recovery(
        "hhs-vp", who.recovery_code.lower().replace("-", " "), "nieuwe lange wachtzin"
    )
    assert not isinstance(new, LoginRefused)
    assert new.public_key == who.public_key and new.recovery_code != who.recovery_code
    assert await accounts.complete_recovery("hhs-vp", new, "12345") == LoginRefused("wrong_code")
    code = second_factor.totp_code(new.totp_secret, clock())
    assert await accounts.complete_recovery("hhs-vp", new, code) is None
    clock.advance(timedelta(seconds=30))
    old = await accounts.login(
        "hhs-vp", PASSPHRASE, second_factor.totp_code(new.totp_secret, clock())
    )
    assert isinstance(old, LoginRefused)
    clock.advance(timedelta(seconds=30))
    fresh = await accounts.login(
        "hhs-vp", "nieuwe lange wachtzin", second_factor.totp_code(new.totp_secret, clock())
    )
    assert isinstance(fresh, LoggedIn)
    assert hpke_seal.public_bytes(fresh.private_key) == who.public_key
    # The old recovery code no longer opens anything.
    again = await accounts.begin_recovery("hhs-vp", who.recovery_code, "nog een wachtzin!!")
    assert isinstance(again, LoginRefused)


async def test_an_unknown_adviser_costs_the_same_argon2id_as_a_wrong_passphrase(
    backend: Backend, keys: tuple[KeyStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Response time must not tell which e-mail addresses belong to advisers."""
    derived: list[str] = []
    real = private_keys.unprotect_private_key

    def counting(blob: bytes, secret: str) -> object:
        derived.append(secret)
        return real(blob, secret)

    monkeypatch.setattr(private_keys, "unprotect_private_key", counting)
    accounts = Accounts(backend.sessions, keys[0])
    assert isinstance(await accounts.login("nobody", "some passphrase", "123456"), LoginRefused)
    refused = await accounts.begin_recovery("nobody", "AAAA-BBBB", "a new passphrase!")
    assert isinstance(refused, LoginRefused)
    assert derived == ["some passphrase", "AAAA-BBBB"]
