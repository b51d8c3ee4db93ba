"""An adviser acting through storage as the console does (answer, read the student's
messages), for the follow-up tests of every channel."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select

from bot.app.settings import Settings
from storage.crypto import hpke_seal, private_keys, proofs, sealed_content, thread
from storage.crypto.keys import KeyStore
from storage.crypto.thread import message_field
from storage.db.engine import make_engine, session_factory
from storage.db.models import Attachment, Message, Report, ReportField, SealedKey
from storage.repositories.reports import report_private_key


class Adviser:
    """Does through storage what the console does: read with a key, answer, and after
    the commit hand the student's push target to the service's nudge queue."""

    def __init__(self, settings: Settings, recovery: private_keys.X25519PrivateKey) -> None:
        self.settings, self.recovery = settings, recovery
        self.files: list[bytes] = []  # the student's files, opened, after student_messages

    async def answer(self, text: str, news: Callable[[str], None] | None = None) -> str:
        """`news`: the nudge queue, for a student who asked to be told (then the report
        must hold a push target); None for one who comes back by themselves (web chat)."""
        engine = make_engine(self.settings.database.url)
        try:
            async with session_factory(engine)() as session, session.begin():
                report = await session.scalar(select(Report))
                assert report is not None
                sealed = await session.scalar(
                    select(SealedKey.sealed).where(SealedKey.recipient_kind == "recovery")
                )
                key = hpke_seal.open_key(sealed, self.recovery, report_id=report.id)  # type: ignore[arg-type]
                message_id = uuid.uuid4().hex
                server = KeyStore.load(self.settings.keys.dir).server
                session.add(
                    proofs.prove_message(
                        server,
                        Message(
                            id=message_id,
                            report_id=report.id,
                            author_kind="adviser",
                            author_id="hhs-vp",
                            internal=False,
                            scheme="key",
                            ciphertext=sealed_content.encrypt_field(
                                key,
                                text.encode(),
                                report_id=report.id,
                                field=message_field(message_id),
                            ),
                            created_at=report.created_at,
                        ),
                    )
                )
                target = b""
                if news is not None:
                    push = await session.scalar(
                        select(ReportField.ciphertext).where(ReportField.field == "push_target")
                    )
                    assert push is not None, "the student asked to be told"
                    target = sealed_content.decrypt_field(
                        key, push, report_id=report.id, field="push_target"
                    )
            if news is not None:
                news(target.decode())  # committed: now the service may tell the student
            return report.id
        finally:
            await engine.dispose()

    async def student_messages(self) -> list[str]:
        engine = make_engine(self.settings.database.url)
        try:
            async with session_factory(engine)() as session:
                report = await session.scalar(select(Report))
                assert report is not None
                sealed = await session.scalar(
                    select(SealedKey.sealed).where(SealedKey.recipient_kind == "recovery")
                )
                key = hpke_seal.open_key(sealed, self.recovery, report_id=report.id)  # type: ignore[arg-type]
                private = await report_private_key(session, report.id, key)
                assert private is not None
                rows = await session.scalars(
                    select(Message).where(Message.author_kind == "student")
                )
                texts = [
                    thread.open_text(m, key, private) or ""
                    for m in rows
                    if m.ciphertext is not None
                ]
                files = (await session.scalars(select(Attachment))).all()
                self.files = [
                    thread.open_file(f.sealed, private, report.id, f.id).data for f in files
                ]
                return texts + [f"<file {len(files)}>"] * bool(files)
        finally:
            await engine.dispose()


def grouped(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, 16, 4))
