"""Ways into the stores that only tests need: a report read back by its receipt, by an
adviser or by status, its status moved directly, an adviser's key unlocked. Written
over the stores' public API, so the product carries none of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update

from storage.crypto import aead
from storage.crypto.aead import KEY_LEN, NONCE_LEN, CryptoError
from storage.crypto.hpke_seal import generate_keypair
from storage.crypto.kdf_thread import in_kdf_thread
from storage.crypto.keys import KeyStore
from storage.crypto.private_keys import unprotect_private_key
from storage.crypto.sealed_keys import open_adviser_copy
from storage.db.engine import make_engine, session_factory
from storage.db.models import AdviserKey, Report
from storage.db.rows import rowcount
from storage.repositories.advisers import AdviserKeys
from storage.repositories.reports import Recipient, ReportStore, report_content
from vocabulary import ReportStatus


@dataclass(frozen=True)
class StatusView:
    reference: str
    status: str
    changed_at: datetime


async def status(store: ReportStore, receipt: str) -> StatusView | None:
    """None for a receipt that opens nothing (typo, guess, or a deleted report)."""
    async with store.sessions() as session:
        found = await store.by_receipt(session, receipt)
    if found is None:
        return None
    report, _ = found
    return StatusView(report.reference, report.status, report.updated_at)


async def read_with_receipt(store: ReportStore, receipt: str) -> dict[str, str] | None:
    """The student's own copy: their receipt unwraps the data key."""
    async with store.sessions() as session:
        found = await store.by_receipt(session, receipt)
        if found is None:
            return None
        report, key = found
        return await report_content(session, report.id, key)


async def read_as_adviser(
    store: ReportStore, report_id: str, adviser_id: str, private_key: X25519PrivateKey
) -> dict[str, str] | None:
    """None unless the report was sealed to this adviser and this is their key."""
    async with store.sessions() as session:
        key = await open_adviser_copy(session, report_id, adviser_id, private_key)
        if key is None:
            return None
        return await report_content(session, report_id, key)


async def set_status(store: ReportStore, report_id: str, status: str) -> bool:
    """Move a report to another status; False if there is no such report."""
    if status not in frozenset(ReportStatus):
        raise ValueError(f"unknown status {status!r}")
    async with store.sessions() as session, session.begin():
        result = await session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(status=status, updated_at=store.clock())
        )
    return rowcount(result) == 1


async def unlock(
    advisers: AdviserKeys, adviser_id: str, passphrase: str
) -> X25519PrivateKey | None:
    """The adviser's private key, or None for a wrong passphrase or unknown adviser."""
    async with advisers.sessions() as session:
        blob = await session.scalar(
            select(AdviserKey.protected_private_key).where(AdviserKey.adviser_id == adviser_id)
        )
    if blob is None:
        return None
    try:
        return await in_kdf_thread(unprotect_private_key, blob, passphrase)
    except CryptoError:
        return None


async def enrolled(
    store: ReportStore, adviser_id: str, org_id: str = "hhs"
) -> tuple[X25519PrivateKey, Recipient]:
    """A new adviser key pair stored as enrolment stores it (with its MAC): reports are
    sealed only to advisers whose stored key checks out."""
    private, public = generate_keypair()
    advisers = AdviserKeys(store.sessions, store.keys.server)
    await advisers.register(adviser_id, org_id, public, b"not used by these tests")
    return private, Recipient(adviser_id, public)


def opens_under_the_old_draft_scheme(keys: KeyStore, blob: bytes, chat_key: str) -> bool:
    """Drafts were once sealed with a server sub-key ("conversation-state"), which
    keys.dir alone gives: an attacker keeps that old code, so the tests try it."""
    secret = (keys.dir / "server.key").read_bytes()
    state = HKDF(
        hashes.SHA256(), KEY_LEN, salt=None, info=aead.associated_data("conversation-state")
    )
    key = state.derive(secret)
    for label in ("state", "state+pad"):
        try:
            AESGCM(key).decrypt(
                blob[:NONCE_LEN], blob[NONCE_LEN:], aead.associated_data(label, chat_key)
            )
        except (InvalidTag, ValueError):
            continue
        return True
    return False


async def filed_channels(database_url: str) -> list[str | None]:
    """The `channel` statistics column of every report in the database, as the figures
    read it."""
    engine = make_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(Report.channel))).all())
    finally:
        await engine.dispose()
