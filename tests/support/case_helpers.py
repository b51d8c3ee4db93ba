"""Builders shared by the console's storage and HTTP tests: enrolled advisers and a
report sealed to some of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto import second_factor
from storage.crypto.keys import KeyStore
from storage.repositories.accounts import Accounts
from storage.repositories.accounts.credentials import LoggedIn, make_credentials
from storage.repositories.reports import NewReport, Recipient, ReportStore

PASSPHRASE = "een lange wachtzin voor de console"


@dataclass
class Enrolled:
    adviser_id: str
    org_id: str
    totp_secret: str
    recovery_code: str
    public_key: bytes


async def enrol(accounts: Accounts, adviser_id: str, org_id: str) -> Enrolled:
    new = make_credentials(PASSPHRASE, accounts.keys.kdf)
    assert await accounts.enrol_directly(adviser_id, org_id, new) is None
    return Enrolled(adviser_id, org_id, new.totp_secret, new.recovery_code, new.public_key)


async def login(accounts: Accounts, who: Enrolled, at: datetime) -> X25519PrivateKey:
    result = await accounts.login(
        who.adviser_id, PASSPHRASE, second_factor.totp_code(who.totp_secret, at)
    )
    assert isinstance(result, LoggedIn), result
    return result.private_key


async def file_for(
    keys: KeyStore,
    reports: ReportStore,
    org_id: str,
    readers: list[Enrolled],
    now: datetime,
    *,
    visibility: str = "school",
    story: str = "Ze lachten om mijn hoofddoek.",
    extra: dict[str, str] | None = None,
) -> str:
    filed = await reports.file(
        NewReport(
            org_id=org_id,
            phase="interview",
            grounds=("religion",),
            when_bucket="month",
            wants="talk",
            visibility=visibility,
            urgent=False,
            content={"story": story, "workplace": "Firma X", **(extra or {})},
            recipients=tuple(Recipient(r.adviser_id, r.public_key) for r in readers),
            deadlines=(
                ("acknowledge", now + timedelta(days=2)),
                ("feedback", now + timedelta(days=14)),
            ),
        )
    )
    del keys
    return filed.report_id
