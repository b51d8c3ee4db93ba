"""WhatsApp end to end: the real service, its webhook signed like Meta's, and the Cloud
API stand-in checking every message against Meta's spec and documented limits (the
`api` fixture fails a test that made a single violation)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app.settings import Settings
from bot.channels.whatsapp.markup import whatsapp_text
from dialogues.texts import load_texts
from standins.whatsapp import CloudAPIStandIn
from storage.crypto import private_keys
from storage.crypto.kdf import KdfParams
from storage.crypto.keys import KeyStore
from tests.conftest import FAST_ARGON2
from tests.support.followup_helpers import Adviser, grouped
from tests.support.harness import RECEIPT
from tests.support.media_files import PHONE, gps_of, gps_photo
from tests.support.whatsapp_harness import (
    FILED,
    RunningWhatsApp,
    WaStudent,
    file_report_wa,
    wait_for_bodies,
    whatsapp_settings,
)

NUMBER = "31612345678"
HTML = re.compile(r"</?[bi]>")
TEXTS = load_texts()["nl"]


@pytest.fixture
async def api() -> AsyncIterator[CloudAPIStandIn]:
    async with CloudAPIStandIn() as standin:
        yield standin
    assert standin.violations == [], standin.violations


@pytest.fixture
def settings(make_settings: Callable[..., Settings], api: CloudAPIStandIn) -> Settings:
    return whatsapp_settings(make_settings, api, nudge_template="stagemeld_news")


async def test_a_full_report_in_dutch_then_its_status(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        code = await file_report_wa(student)
        assert student.inputs <= 15
        texts = api.texts_to(NUMBER)
        elsewhere = whatsapp_text(TEXTS.get("elsewhere_head"))
        told = [i for i, t in enumerate(texts) if t.startswith(elsewhere)]
        filed = [i for i, t in enumerate(texts) if FILED["nl"] in t]
        assert told and filed and told[-1] < filed[-1], texts  # where else, then "filed"
        assert len([t for t in texts if RECEIPT.search(t)]) == 1, texts  # the code once
        assert "*De Haagse Hogeschool*:" in texts[told[-1]]  # configured routes, WhatsApp bold
        shown = await student.say("/help")
        assert any(t.startswith(elsewhere) for t in shown), shown
        shown = await student.say(f"/status {grouped(code)}")
        assert any("ontvangen" in t.lower() for t in shown), shown
        assert "Verwijderen voor mij" in shown[-1]  # a bot cannot delete the code: say how
    sent = api.bodies_to(NUMBER)
    assert any(b["type"] == "interactive" and b["interactive"]["type"] == "list" for b in sent)
    assert any(b["type"] == "interactive" and b["interactive"]["type"] == "button" for b in sent)
    assert not any(HTML.search(t) for t in api.texts_to(NUMBER))
    assert any("*" in t for t in api.texts_to(NUMBER))  # WhatsApp's own bold


async def test_a_full_report_in_english(api: CloudAPIStandIn, settings: Settings) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        code = await file_report_wa(student, "They said my headscarf did not fit.", english=True)
        shown = await student.say(f"/status {grouped(code)}")
        assert any("received" in t.lower() for t in shown), shown


async def test_the_grounds_list_shows_the_selection_and_next(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        for step in ("/start", "no", "interview"):
            await (student.say(step) if step.startswith("/") else student.press(step))
        await student.say("Een verhaal.")
        await student.press("done")
        await student.press("religion")
        shown = await student.press("origin")
        assert "Gekozen:" in shown[-1] and "Afkomst" in shown[-1], shown
        assert student.offered()[-1] == "next"
        shown = await student.press("origin")  # off again
        assert "Afkomst" not in shown[-1].split("Gekozen:")[-1]


async def test_privacy_says_what_meta_sees_and_erase_says_how(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await student.say("/start")
        shown = await student.say("/privacy")
        assert any("Meta" in t and "30 dagen" in t and "webchat" in t for t in shown), shown
        other = WaStudent(api, "31687654321")
        await file_report_wa(other)
        shown = await other.press("erase")
        assert "Chat wissen" in shown[-1], shown


@pytest.fixture
def with_recovery(settings: Settings) -> private_keys.X25519PrivateKey:
    _, recovery = KeyStore.init(settings.keys.dir, KdfParams(**FAST_ARGON2))
    return private_keys.private_key_from_text(recovery)


async def test_answering_an_adviser_with_text_and_a_photo(
    api: CloudAPIStandIn, settings: Settings, with_recovery: private_keys.X25519PrivateKey
) -> None:
    adviser = Adviser(settings, with_recovery)
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings) as service:
        code = await file_report_wa(student, submit="submit.push")
        await adviser.answer("Mag ik je bellen?", service.container.nudges.put)
        shown = await student.say(f"/status {grouped(code)}")
        assert any("Mag ik je bellen?" in t for t in shown), shown
        await student.press("status.reply")
        await student.say("Ja, na 16 uur.")
        await student.say(f"/status {grouped(code)}")
        await student.press("status.reply")
        media_id = api.add_media(gps_photo(), "image/jpeg")  # a real photo: it is stripped
        await api.deliver(api.message(NUMBER, "image", {"id": media_id, "mime_type": "image/jpeg"}))
        assert api.downloads == [media_id]  # looked up, then downloaded with the token
        # A "photo" that cannot be opened (so cannot be stripped) is refused kindly.
        await student.say(f"/status {grouped(code)}")
        await student.press("status.reply")
        mark = len(api.bodies_to(NUMBER))
        broken = api.add_media(b"\xff\xd8\xff\xe0 not a photo", "image/jpeg")
        await api.deliver(api.message(NUMBER, "image", {"id": broken, "mime_type": "image/jpeg"}))
        told = api.texts_to(NUMBER)[mark:]
        assert told == [whatsapp_text(TEXTS.get("attachment_unreadable"))], told
    assert await adviser.student_messages() == ["Ja, na 16 uur.", "", "<file 1>"]
    (photo,) = adviser.files  # what the adviser opens: without GPS or the phone's name
    assert gps_of(photo) == {} and PHONE.encode() not in photo


async def test_a_nudge_outside_the_window_is_the_template(
    api: CloudAPIStandIn, settings: Settings, with_recovery: private_keys.X25519PrivateKey
) -> None:
    adviser = Adviser(settings, with_recovery)
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await file_report_wa(student, submit="submit.push")
    async with RunningWhatsApp(settings) as service:  # a new process: no recent message seen
        mark = len(api.bodies_to(NUMBER))
        await adviser.answer("Er is nieuws.", service.container.nudges.put)
        nudge = (await wait_for_bodies(api, NUMBER, mark + 1))[mark]
    assert nudge["type"] == "template"
    assert nudge["template"]["name"] == "stagemeld_news"
    assert nudge["template"].get("components") is None  # content-free: no parameters


async def test_a_nudge_inside_the_window_is_plain_text(
    api: CloudAPIStandIn, settings: Settings, with_recovery: private_keys.X25519PrivateKey
) -> None:
    adviser = Adviser(settings, with_recovery)
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings) as service:
        await file_report_wa(student, submit="submit.push")
        mark = len(api.bodies_to(NUMBER))
        await adviser.answer("Er is nieuws.", service.container.nudges.put)
        nudge = (await wait_for_bodies(api, NUMBER, mark + 1))[mark]
    assert nudge["type"] == "text" and "/status" in nudge["text"]["body"]
    assert "Er is nieuws." not in nudge["text"]["body"]


async def test_without_a_template_no_nudge_is_offered(
    make_settings: Callable[..., Settings], api: CloudAPIStandIn
) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(whatsapp_settings(make_settings, api)):
        await file_report_wa(student, submit="submit")
        assert "submit.push" not in student.offered()


async def test_a_restart_mid_conversation_resumes(api: CloudAPIStandIn, settings: Settings) -> None:
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await student.say("/start")
        await student.press("no")
        await student.press("during")
    async with RunningWhatsApp(settings):
        await student.say("Mijn begeleider maakte grappen over mijn afkomst.")
        await student.press("done")
        assert "origin" in student.offered()


async def test_in_danger_the_help_lines_come_first_and_the_question_waits(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    """The danger pause on WhatsApp: the help lines and one button, "Ik wil verder";
    anything typed meanwhile changes nothing; the tap brings the next question."""
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await student.say("/start")
        shown = await student.press("yes")
        assert any("112" in t and "0900-8844" in t for t in shown), shown
        assert student.offered() == ["pause.on"]
        titles = [title for _, title, _ in student.latest_options()]
        assert titles == [TEXTS.get("btn_go_on")], titles
        shown = await student.say("ik weet het niet")
        assert any(whatsapp_text(TEXTS.get("pause_waiting")) in t for t in shown), shown
        assert student.offered() == ["pause.on"]
        shown = await student.press("pause.on")
        assert any(TEXTS.get("ask_phase") in t for t in shown), shown
        assert "interview" in student.offered()


async def test_the_report_stays_open_for_the_visit_without_the_code_again(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    """The code once per visit on WhatsApp: "Mijn melding bekijken" (the name the text
    gives it, whole in a list row) and /status show the report without it."""
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        code = await file_report_wa(student)
        await student.press("keep")
        shown = await student.say(f"/status {grouped(code)}")
        assert any("ontvangen" in t.lower() for t in shown), shown
        shown = await student.press("status.close")
        assert any("Mijn melding bekijken" in t for t in shown), shown
        assert "go.status" in student.offered()
        titles = [title for _, title, _ in student.latest_options()]
        assert TEXTS.get("btn_go_status") in titles, titles
        for again in (student.press("go.status"), student.say("/status")):
            shown = await again
            assert any("ontvangen" in t.lower() for t in shown), shown
            assert not any(TEXTS.get("ask_code")[:30] in t for t in shown), shown
            await student.press("status.close")


async def test_a_guess_confirmed_and_the_story_added_to_at_the_summary(
    api: CloudAPIStandIn, settings: Settings
) -> None:
    """Typed answers on WhatsApp: a typed answer it is not sure of is asked back ("did
    you mean?", two reply buttons); at the summary the story is added to through the
    short labels, and the report is still filed with both parts."""
    student = WaStudent(api, NUMBER)
    async with RunningWhatsApp(settings):
        await student.say("/start")
        await student.press("no")
        await student.say("solisitatsie")
        assert student.offered() == ["guess.yes", "guess.no"]
        await student.press("guess.yes")
        await student.say("Ze zeiden dat mijn hoofddoek niet paste.")
        for value in ("religion", "next", "month", "hhs", "skip", "skip", "no", "talk", "school"):
            await student.press(value)
        await student.press("edit")
        titles = {oid.split(":", 1)[1]: title for oid, title, _ in student.latest_options()}
        assert titles["add.story"] == TEXTS.get("wa_btn_story_add"), titles
        assert titles["edit.story"] == TEXTS.get("wa_btn_story_replace"), titles
        await student.press("add.story")
        assert student.offered() == ["done", "back"]
        await student.say("Ook zei hij dat ik beter kon stoppen.")
        shown = await student.press("done")
        assert any("hoofddoek" in t and "beter kon stoppen" in t for t in shown), shown
        texts = await student.press("submit")
        assert [t for t in texts if RECEIPT.search(t)], texts
        filed = await student.press("receipt.saved")
        assert [t for t in filed if FILED["nl"] in t], filed
