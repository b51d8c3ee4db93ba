"""After filing, in Telegram: the student reads the adviser's answer with /status, answers
back, sends a photo, gets a content-free nudge when there is news, and withdraws — all
through the real aiogram bot and the Bot API stand-in. The nudge goes through the
service's in-memory queue (issue 10, finding 3): no table holds the chat address."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from storage import crypto, thread
from storage.crypto import KdfParams
from storage.db import make_engine, session_factory
from storage.keys import KeyStore
from storage.models import Attachment, Message, Report, ReportField, SealedKey
from storage.reports import report_private_key
from storage.thread import message_field
from tests.conftest import FAST_ARGON2
from tests.harness import TOKEN, RunningService, Student, file_report
from tests.standin import BotAPIStandIn

CHAT = 6161


@pytest.fixture
async def api() -> AsyncIterator[BotAPIStandIn]:
    async with BotAPIStandIn(TOKEN) as standin:
        yield standin
    assert standin.violations == [], standin.violations


@pytest.fixture
def setup(
    make_settings: Callable[..., Settings], api: BotAPIStandIn, tmp_path: Path
) -> tuple[Settings, crypto.X25519PrivateKey]:
    """Keys made beforehand, so the test holds the recovery key an adviser would use."""
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    _, recovery = KeyStore.init(settings.keys.dir, KdfParams(**FAST_ARGON2))
    return settings, crypto.private_key_from_text(recovery)


class Adviser:
    """Does through storage what the console does: read with a key, answer, and after
    the commit hand the student's push target to the service's nudge queue."""

    def __init__(self, settings: Settings, recovery: crypto.X25519PrivateKey) -> None:
        self.settings, self.recovery = settings, recovery

    async def answer(self, text: str, news: Callable[[str], None]) -> str:
        engine = make_engine(self.settings.database.url)
        try:
            async with session_factory(engine)() as session, session.begin():
                report = await session.scalar(select(Report))
                assert report is not None
                sealed = await session.scalar(
                    select(SealedKey.sealed).where(SealedKey.recipient_kind == "recovery")
                )
                key = crypto.open_key(sealed, self.recovery, report_id=report.id)
                message_id = uuid.uuid4().hex
                session.add(
                    Message(
                        id=message_id,
                        report_id=report.id,
                        author_kind="adviser",
                        author_id="hhs-vp",
                        internal=False,
                        scheme="key",
                        ciphertext=crypto.encrypt_field(
                            key, text.encode(), report_id=report.id, field=message_field(message_id)
                        ),
                        created_at=report.created_at,
                    )
                )
                push = await session.scalar(
                    select(ReportField.ciphertext).where(ReportField.field == "push_target")
                )
                assert push is not None, "the student asked to be told"
                target = crypto.decrypt_field(key, push, report_id=report.id, field="push_target")
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
                key = crypto.open_key(sealed, self.recovery, report_id=report.id)
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
                return texts + [f"<file {len(files)}>"] * bool(files)
        finally:
            await engine.dispose()


def grouped(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, 16, 4))


async def test_answer_read_reply_nudge_photo_and_withdraw(
    api: BotAPIStandIn, setup: tuple[Settings, crypto.X25519PrivateKey]
) -> None:
    settings, recovery = setup
    adviser = Adviser(settings, recovery)
    student = Student(api, CHAT)
    async with RunningService(settings, api) as service:
        code = await file_report(student, submit="submit.push")
        (container,) = service.containers
        before_news = api.mark(CHAT)
        await adviser.answer(
            "Dank je voor je melding. Mag ik je bellen? <b>geen html</b>", container.nudges.put
        )
        nudge = await api.wait_for_texts(CHAT, 1, since=before_news, timeout=10)
        assert "/status" in nudge[-1] and "Mag ik" not in nudge[-1]

        shown = await student.say(f"/status {grouped(code)}")
        assert any("Mag ik je bellen?" in t and "<b>geen html</b>" in t for t in shown), shown
        assert "status.reply" in student.offered() and "status.withdraw" in student.offered()
        await student.press("status.reply")
        sent = await student.say("Ja, bel me maar na 16 uur.")
        assert sent and api.deleted(CHAT)  # the message with the code was removed

        await student.say(f"/status {grouped(code)}")
        await student.press("status.reply")
        mark = api.mark(CHAT)
        api.push_photo(CHAT)
        await api.wait_for_texts(CHAT, 1, since=mark, timeout=10)
        await api.wait_idle(timeout=5)
        assert await adviser.student_messages() == [
            "Ja, bel me maar na 16 uur.",
            "",
            "<file 1>",
        ]  # a photo: no text

        await student.say(f"/status {grouped(code)}")
        await student.press("status.withdraw")
        await student.press("withdraw.yes")
        after = await student.say(f"/status {grouped(code)}")
        assert "status.reply" not in student.offered()
        assert any("ingetrokken" in t.lower() for t in after), after
    await asyncio.sleep(0)


async def test_a_returning_student_sees_only_the_status_then_answers_without_the_code(
    api: BotAPIStandIn, setup: tuple[Settings, crypto.X25519PrivateKey]
) -> None:
    """Issue 11 items 1 and 7: back in the chat, /start, "check my report", the code once:
    the status and the adviser's message and nothing else; then answering, and looking
    again, for the rest of the visit without typing the code again."""
    settings, recovery = setup
    adviser = Adviser(settings, recovery)
    student = Student(api, CHAT)
    async with RunningService(settings, api):
        code = await file_report(student, submit="submit.push")
        await student.press("keep")
        await adviser.answer("Kun je dinsdag langskomen?", lambda _target: None)

        welcome = await student.say("/start")
        assert "go.status" in student.offered(), welcome  # a button, not "send /status"
        await student.press("go.status")
        shown = await student.say(grouped(code))
        assert api.deleted(CHAT)  # the code was removed from the chat
        assert any("Kun je dinsdag langskomen?" in t for t in shown), shown
        joined = "\n".join(shown)
        for other in ("ben je nu in gevaar", "staat nog open", "Hier was je gebleven"):
            assert other.lower() not in joined.lower(), shown
        assert student.offered() == ["status.reply", "status.withdraw", "status.close"]

        await student.press("status.reply")
        sent = await student.say("Ja, dinsdag kan ik.")
        assert any("verstuurd" in t for t in sent), sent
        assert "status.reply" in student.offered()  # more, without the code
        await student.press("status.reply")
        await student.say("Om 10 uur?")
        await student.press("status.close")
        again = await student.press("go.status")  # no code asked this time
        assert any("Kun je dinsdag langskomen?" in t for t in again), again
        assert not any("16 cijfers" in t for t in again), again
        await api.wait_idle(timeout=5)
        assert await adviser.student_messages() == ["Ja, dinsdag kan ik.", "Om 10 uur?"]
    await asyncio.sleep(0)
