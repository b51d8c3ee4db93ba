"""After filing, in Telegram: the student reads the adviser's answer with /status, answers
back, sends a photo, gets a content-free nudge when there is news, and withdraws — all
through the real aiogram bot and the Bot API stand-in. The nudge goes through the
service's in-memory queue: no table holds the chat address."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app.settings import Settings
from dialogues.texts import load_texts
from standins import BotAPIStandIn
from storage.crypto import private_keys
from storage.crypto.kdf import KdfParams
from storage.crypto.keys import KeyStore
from tests.conftest import FAST_ARGON2
from tests.support.followup_helpers import Adviser, grouped
from tests.support.harness import TOKEN, RunningService, Student, file_report
from tests.support.media_files import PHONE, gps_of, gps_photo

CHAT = 6161

TEXTS = load_texts()["nl"]


@pytest.fixture
def setup(
    make_settings: Callable[..., Settings], api: BotAPIStandIn, tmp_path: Path
) -> tuple[Settings, private_keys.X25519PrivateKey]:
    """Keys made beforehand, so the test holds the recovery key an adviser would use."""
    settings = make_settings(
        telegram={"token": TOKEN, "api_base": api.base_url, "polling_timeout": 1}
    )
    _, recovery = KeyStore.init(settings.keys.dir, KdfParams(**FAST_ARGON2))
    return settings, private_keys.private_key_from_text(recovery)


async def test_answer_read_reply_nudge_photo_and_withdraw(
    api: BotAPIStandIn, setup: tuple[Settings, private_keys.X25519PrivateKey]
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
        api.push_photo(CHAT, data=gps_photo())
        await api.wait_for_texts(CHAT, 1, since=mark, timeout=10)
        await api.wait_idle(timeout=5)
        assert await adviser.student_messages() == [
            "Ja, bel me maar na 16 uur.",
            "",
            "<file 1>",
        ]  # a photo: no text
        (photo,) = adviser.files  # what the adviser opens: the photo, without GPS or phone
        assert gps_of(photo) == {} and PHONE.encode() not in photo

        # A kind of file that cannot be stripped is refused kindly and not stored.
        await student.say(f"/status {grouped(code)}")
        await student.press("status.reply")
        mark = api.mark(CHAT)
        api.push_document(CHAT, b"PK\x03\x04 a word file", file_name="verslag.docx")
        told = await api.wait_for_texts(CHAT, 1, since=mark, timeout=10)
        assert told[-1] == TEXTS.get("attachment_wrong_type")
        await api.wait_idle(timeout=5)
        assert (await adviser.student_messages())[-1] == "<file 1>"

        await student.say(f"/status {grouped(code)}")
        await student.press("status.withdraw")
        await student.press("withdraw.yes")
        after = await student.say(f"/status {grouped(code)}")
        assert "status.reply" not in student.offered()
        assert any("ingetrokken" in t.lower() for t in after), after
    await asyncio.sleep(0)


async def test_a_returning_student_sees_only_the_status_then_answers_without_the_code(
    api: BotAPIStandIn, setup: tuple[Settings, private_keys.X25519PrivateKey]
) -> None:
    """Back in the chat, /start, "check my report", the code once: the status and the
    adviser's message and nothing else; then answering, and looking again, for the rest
    of the visit without typing the code again."""
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
