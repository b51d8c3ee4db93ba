"""The WhatsApp door: Meta's subscription check, signatures, size, redeliveries, order,
message types the bot cannot read, and the Graph API's throttling and failures. Each
case: a kind reply where one fits, nothing stored that should not be, nothing crashed."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app.settings import Settings
from standins.whatsapp import VERIFY_TOKEN, CloudAPIStandIn, sign
from tests.support.whatsapp_harness import (
    RunningWhatsApp,
    WaStudent,
    wait_for_bodies,
    whatsapp_section,
    whatsapp_settings,
)

NUMBER = "31611122233"


@pytest.fixture
async def api() -> AsyncIterator[CloudAPIStandIn]:
    async with CloudAPIStandIn() as standin:
        yield standin
    assert standin.violations == [], standin.violations


@pytest.fixture
def settings(make_settings: Callable[..., Settings], api: CloudAPIStandIn) -> Settings:
    return whatsapp_settings(make_settings, api)


def count(settings: Settings, table: str) -> int:
    path = Path(settings.database.url.split("///", 1)[1])
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


async def test_the_subscription_check(api: CloudAPIStandIn, settings: Settings) -> None:
    async with RunningWhatsApp(settings):
        assert await api.verify(VERIFY_TOKEN, "4242") == (200, "4242")
        status, body = await api.verify("not-the-token-at-all", "4242")
        assert status == 403 and "4242" not in body


async def test_a_wrong_signature_is_refused_counted_and_changes_nothing(
    api: CloudAPIStandIn, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with RunningWhatsApp(settings):
        forged = api.message(NUMBER, "text", {"body": "/start"})
        raw = json.dumps(forged).encode()
        assert await api.deliver(forged, signature=sign("another-secret", raw)) == 401
        assert await api.deliver(forged, signature="sha256=") == 401
        # signed over other bytes than those sent (re-serialised JSON)
        other = json.dumps(forged, indent=1).encode()
        assert await api.deliver(raw, signature=sign(api.app_secret, other)) == 401
        assert api.bodies_to(NUMBER) == []
        assert count(settings, "processed_updates") == 0
    assert "signature; 3 so far" in caplog.text
    assert NUMBER not in caplog.text


async def test_a_100_kb_body_is_refused_unread(api: CloudAPIStandIn, settings: Settings) -> None:
    async with RunningWhatsApp(settings):
        big = api.message(NUMBER, "text", {"body": "x" * 100_000})
        assert await api.deliver(big) == 413
        assert api.bodies_to(NUMBER) == []
        assert count(settings, "processed_updates") == 0
        assert await api.text(NUMBER, "/start") == 200  # and the door still works
        assert api.bodies_to(NUMBER)


async def test_a_replayed_delivery_is_handled_once(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await student.say("/start")
        await student.press("no")
        before = len(api.bodies_to(NUMBER))
        assert await api.redeliver() == 200
        assert await api.redeliver() == 200
        assert len(api.bodies_to(NUMBER)) == before
        assert "interview" in student.offered()


async def test_taps_delivered_out_of_order(api: CloudAPIStandIn, settings: Settings) -> None:
    """The student taps "no" and then "interview" on the next question; Meta delivers the
    second tap first. It belongs to a question not yet asked: the engine calls it stale
    and changes nothing; the first tap, arriving late, then counts. No answer is taken
    for a question it was not meant for."""
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await student.say("/start")
        no = next(o for o in student.latest_options() if o[0].endswith(":no"))
        turn = int(no[0].split(":")[0])
        late = _tap(api, no[0])
        early = _tap(api, f"{turn + 1}:interview")
        await api.deliver(early)
        assert any("werkt niet meer" in t for t in api.texts_to(NUMBER)[-2:])
        assert "yes" in student.offered()  # still the safety question
        await api.deliver(late)
        assert "interview" in student.offered()  # on to the phase, which is unanswered
        shown = await student.press("interview")
        assert "Vertel" in shown[-1]  # the story question


def _tap(api: CloudAPIStandIn, reply_id: str) -> dict[str, object]:
    chosen = {"id": reply_id, "title": "x"}
    return api.message(NUMBER, "interactive", {"type": "button_reply", "button_reply": chosen})


async def test_a_batched_delivery_is_handled_oldest_first(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    async with RunningWhatsApp(settings):
        now = int(time.time())
        one = api.message(NUMBER, "text", {"body": "/start"}, timestamp=now - 5)
        two = api.message(NUMBER, "text", {"body": "/privacy"}, timestamp=now)
        value = one["entry"][0]["changes"][0]["value"]
        value["messages"] = [
            *two["entry"][0]["changes"][0]["value"]["messages"],
            *value["messages"],
        ]
        assert await api.deliver(one) == 200
        texts = api.texts_to(NUMBER)
        welcome = next(i for i, t in enumerate(texts) if "anoniem" in t)
        privacy = next(i for i, t in enumerate(texts) if "Meta" in t)
        assert welcome < privacy


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("location", {"latitude": 52.07, "longitude": 4.3, "name": "Den Haag"}),
        ("sticker", {"id": "123", "mime_type": "image/webp", "animated": False}),
        ("audio", {"id": "124", "mime_type": "audio/ogg", "voice": True}),
        ("contacts", {"contacts": [{"name": {"formatted_name": "X"}}]}),
    ],
)
async def test_a_type_the_bot_cannot_read_gets_a_kind_word_and_nothing_stored(
    api: CloudAPIStandIn, settings: Settings, kind: str, content: dict[str, object]
) -> None:
    async with RunningWhatsApp(settings):
        assert await api.deliver(api.message(NUMBER, kind, content)) == 200
        texts = api.texts_to(NUMBER)
        assert any("alleen tekst" in t for t in texts), texts
        assert count(settings, "conversations") == 0


async def test_a_reaction_gets_no_answer(api: CloudAPIStandIn, settings: Settings) -> None:
    async with RunningWhatsApp(settings):
        reaction = {"message_id": "wamid.x", "emoji": "👍"}
        assert await api.deliver(api.message(NUMBER, "reaction", reaction)) == 200
        assert api.bodies_to(NUMBER) == []
        assert count(settings, "conversations") == 0


async def test_another_phone_number_is_not_ours(api: CloudAPIStandIn, settings: Settings) -> None:
    async with RunningWhatsApp(settings):
        payload = api.message(NUMBER, "text", {"body": "/start"})
        payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999"
        assert await api.deliver(payload) == 200
        assert api.bodies_to(NUMBER) == []


@pytest.mark.parametrize(
    ("status", "code"), [(429, 130429), (400, 131056), (400, 80007), (503, 0), (500, 131000)]
)
async def test_throttling_and_server_errors_are_retried(
    api: CloudAPIStandIn, settings: Settings, status: int, code: int
) -> None:
    async with RunningWhatsApp(settings):
        api.fail_next(status, code, times=2)
        assert await api.text(NUMBER, "/start") == 200
        assert len(api.record.refused) == 2
        assert len(api.bodies_to(NUMBER)) == 1  # sent once, after two refusals


async def test_a_refusal_for_good_is_not_retried(api: CloudAPIStandIn, settings: Settings) -> None:
    async with RunningWhatsApp(settings):
        api.fail_next(400, 131051)  # unsupported message type: retrying cannot help
        assert await api.text(NUMBER, "/start") == 200
        assert len(api.record.refused) == 1 and api.bodies_to(NUMBER) == []
        student = WaStudent(api, NUMBER)
        assert count(settings, "conversations") == 1  # the turn itself was saved
        assert await student.say("hallo")  # and the next message is answered


async def test_a_failed_status_callback_resends_once(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    async with RunningWhatsApp(settings):
        api.fail_status_next(131000)
        await api.text(NUMBER, "/start")
        bodies = await wait_for_bodies(api, NUMBER, 2)
        assert bodies[0] == bodies[1]  # the same message again, after Meta said it failed
        failed = next(d for d in api.record.deliveries if b'"failed"' in d.raw)
        await api.redeliver(failed)  # the same callback twice: still only one resend
        await api.text(NUMBER, "/help")
        assert len([b for b in api.bodies_to(NUMBER) if b == bodies[0]]) == 2


async def test_a_message_days_old_is_not_answered(api: CloudAPIStandIn, settings: Settings) -> None:
    """Meta retries for a week; ids are remembered for two days: a stale message is
    dropped rather than answered out of the blue (or twice)."""
    async with RunningWhatsApp(settings):
        stale = int(time.time()) - 3 * 24 * 3600
        old = api.message(NUMBER, "text", {"body": "/start"}, timestamp=stale)
        assert await api.deliver(old) == 200
        assert api.bodies_to(NUMBER) == []
        assert count(settings, "conversations") == 0


async def test_a_flood_is_slowed_down_once_and_then_ignored(
    make_settings: Callable[..., Settings], api: CloudAPIStandIn
) -> None:
    section = {"conversation": {"ttl_hours": 72, "messages_per_minute": 3}}
    settings = make_settings(**section, whatsapp=whatsapp_section(api))
    async with RunningWhatsApp(settings):
        for _ in range(6):
            assert await api.text(NUMBER, "/help") == 200
        texts = api.texts_to(NUMBER)
        assert sum("heel snel" in t for t in texts) == 1, texts
        assert sum("/privacy" in t for t in texts) == 3  # the three let through
