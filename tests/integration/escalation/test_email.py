"""E-mail notices through a real SMTP server (aiosmtpd) on 127.0.0.1: they name the
reference and nothing of the report, and a refused connection is retried, not dropped."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from bot.app.settings import Settings
from escalation.casework.directory import Adviser, Directory, Organization
from escalation.casework.email import EmailSender, SmtpConfig
from escalation.casework.notify import Notice, deliver_due
from standins import BotAPIStandIn
from storage.crypto.keys import KeyStore
from storage.db.models import Notification
from storage.repositories.outbox import Outbox
from storage.repositories.reports import NewReport, ReportStore
from tests.support import storage_backends
from tests.support.harness import TOKEN, RunningService, Student, file_report, free_port
from tests.support.storage_backends import Backend, Clock

backend = storage_backends.backend
keys = storage_backends.keys


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_a_new_report_mails_its_advisers_without_content(
    make_settings: Callable[..., Settings], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    marker = "Marker-7c1e-hoofddoek"
    async with BotAPIStandIn(TOKEN) as api:
        settings = make_settings(
            telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1},
            smtp={"host": "127.0.0.1", "port": port, "starttls": False, "sender": "sm@x.nl"},
        )
        async with RunningService(settings, api):
            await file_report(Student(api, 4242), story=f"{marker}: ze lachten me uit.")
            for _ in range(100):  # the notifier runs every second
                if inbox.messages:
                    break
                await asyncio.sleep(0.1)
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert mail["To"] == "vertrouwenspersoon@hhs.example.nl"
    assert "SM-" in mail["Subject"] and "/console/" in body
    assert marker not in mail.as_string() and "lachten" not in mail.as_string()


async def test_a_refused_connection_is_retried_and_stays_visible(
    backend: Backend, keys: tuple[KeyStore, str]
) -> None:
    clock = Clock()
    store = ReportStore(backend.sessions, keys[0], clock=clock)
    await store.file(
        NewReport(
            org_id="hhs",
            phase="during",
            grounds=("age",),
            when_bucket="week",
            wants="talk",
            visibility="school",
            urgent=False,
            content={"story": "x"},
            notify=(("hhs-vp", "email"),),
        )
    )
    vp = Adviser("hhs-vp", "VP", "hhs", email="vp@hhs.example.nl")
    directory = Directory((Organization("hhs", "HHS", "school", "hbo", (vp,)),))
    port = free_port()  # nothing listens here yet
    sender = EmailSender(SmtpConfig("127.0.0.1", port, starttls=False, timeout=5))
    outbox = Outbox(backend.sessions, clock=clock)

    def render(item: Any, org: Organization) -> Notice:
        return Notice(f"stagemeld {item.reference}", "Er is een nieuwe melding.")

    assert await deliver_due(outbox, directory, {"email": sender}, render, clock) == 0
    async with backend.sessions() as session:
        row = await session.scalar(select(Notification))
    assert row is not None and (row.state, row.attempts) == ("failed", 1)
    assert row.last_error and "SMTP" in row.last_error  # visible, by type, no content

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(timedelta(minutes=2))
        assert await deliver_due(outbox, directory, {"email": sender}, render, clock) == 1
    finally:
        controller.stop()
    assert [m["To"] for m in inbox.messages] == ["vp@hhs.example.nl"]
    async with backend.sessions() as session:
        row = await session.scalar(select(Notification))
    assert row is not None and row.state == "sent"


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, as a school's own mail server might have."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def test_starttls_is_required_and_the_servers_certificate_checked(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    vp = Adviser("hhs-vp", "VP", "hhs", email="vp@hhs.example.nl")
    notice = Notice("stagemeld SM-TEST-0001", "Er is een nieuwe melding.")
    try:
        trusting = SmtpConfig("127.0.0.1", port, starttls=True, ca_file=str(cert_file), timeout=5)
        await EmailSender(trusting)(vp, notice)
        untrusting = SmtpConfig("127.0.0.1", port, starttls=True, timeout=5)
        with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError)):
            await EmailSender(untrusting)(vp, notice)  # the system does not know this CA
        plain = SmtpConfig("127.0.0.1", port, starttls=False, timeout=5)
        with pytest.raises(aiosmtplib.SMTPException):
            await EmailSender(plain)(vp, notice)  # the server insists on STARTTLS
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["stagemeld SM-TEST-0001"]
