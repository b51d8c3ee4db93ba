"""Notices to advisers by e-mail (SMTP with STARTTLS), carrying no content at all.

The mail names the report's reference and points to the console's front door — not to
the report, so a forwarded or intercepted mail reveals nothing but that there is news.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from escalation.casework.directory import Adviser
from escalation.casework.notify import Notice, Undeliverable


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "stagemeld@localhost"
    timeout: float = 30.0
    ca_file: str | None = None  # trust this CA (PEM) for STARTTLS instead of the system's


class EmailSender:
    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp

    async def __call__(self, adviser: Adviser, notice: Notice) -> None:
        if not adviser.email:
            raise Undeliverable(adviser.id)
        await aiosmtplib.send(
            self.message(adviser.email, notice),
            hostname=self.smtp.host,
            port=self.smtp.port,
            start_tls=self.smtp.starttls,
            username=self.smtp.username,
            password=self.smtp.password,
            timeout=self.smtp.timeout,
            cert_bundle=self.smtp.ca_file,
        )

    def message(self, to: str, notice: Notice) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.smtp.sender
        msg["To"] = to
        msg["Subject"] = notice.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.smtp.sender.rpartition("@")[2] or None)
        msg.set_content(notice.body)
        return msg
