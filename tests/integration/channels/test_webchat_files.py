"""Files in the web chat: a photo with GPS coordinates sent as an answer to the adviser
reaches the adviser's console download without them (sealed the way Telegram's files
are); too large, the wrong kind and an unreadable file get a kind note and store
nothing; a file is taken only while answering; another site cannot post one."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from sqlalchemy import func, select

from bot.app.container import build_container
from bot.app.settings import Settings
from storage.db.models import Attachment
from tests.support.media_files import PHONE, authored_pdf, gps_of, gps_photo
from tests.support.webchat_harness import (
    chat,
    downloads,
    enrol_before,
    file_over_socket,
    keys,
    new_session,
    post_file,
    running,
    text_of,
    to_reply,
)


async def _attachments(settings: Settings) -> int:
    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Attachment)) or 0)
    finally:
        await container.close()


async def test_a_gps_photo_reaches_the_advisers_download_without_gps(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    adviser = await enrol_before(settings, "mondriaan-vp")
    photo = gps_photo()
    assert gps_of(photo)
    async with running(settings) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            code = await file_over_socket(client)
            asking = await to_reply(client, code)
            assert keys(asking)[-1] == "ask_reply"
            assert asking["box"]["files"] is True  # the page shows its file control now
            status, frames = await post_file(url, session_id, photo, "IMG_2041.jpg")
    assert status == 200 and [f["type"] for f in frames] == ["turn"]
    assert keys(frames[0]) == ["reply_sent"]

    ((name, got),) = await downloads(settings, adviser)
    assert name == "IMG_2041.jpg"
    assert gps_of(got) == {}  # no coordinates ...
    assert PHONE.encode() not in got and b"Exif" not in got  # ... nor the phone
    with Image.open(io.BytesIO(got)) as image:
        assert image.format == "JPEG" and image.size == (20, 40)  # upright, as shown


async def test_refused_files_get_a_kind_note_and_store_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(web={"max_file_bytes": 4096, "file_types": ["jpeg", "png"]})
    async with running(settings) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            code = await file_over_socket(client)
            await to_reply(client, code)
            cases = {
                "web_file_too_large": b"\xff\xd8\xff" + b"x" * 5000,
                "web_file_wrong_type": authored_pdf(),  # a PDF, not allowed by this config
                "attachment_unreadable": b"\xff\xd8\xff\xe0 not a photo at all",
            }
            for key, data in cases.items():
                status, frames = await post_file(url, session_id, data)
                assert status == 200
                reply = frames[-1].get("reply") or frames[-1]["replies"][-1]
                assert reply["key"] == key, frames
                if key == "web_file_too_large":
                    assert "1 MB" in text_of(reply)
            # Not saying the size does not help: the body is not read past the limit.
            status, frames = await post_file(
                url, session_id, cases["web_file_too_large"] * 10, chunked=True
            )
            assert frames[-1]["reply"]["key"] == "web_file_too_large"
            # Still answering: the student can simply send another.
            status, frames = await post_file(url, session_id, gps_photo())
            assert keys(frames[-1]) == ["reply_sent"]
    assert await _attachments(settings) == 1


async def test_a_file_outside_an_answer_or_from_another_site_is_not_taken(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    async with running(settings) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            await client.until("turn")
            status, frames = await post_file(url, session_id, gps_photo())
            assert status == 200 and keys(frames[-1])[0] == "attachment_not_now"
        status, _ = await post_file(url, session_id, gps_photo(), Origin="https://evil.example")
        assert status == 403
        status, _ = await post_file(url, "", gps_photo())
        assert status == 403
    assert await _attachments(settings) == 0
