"""The web chat's server side through real HTTP and WebSocket connections on loopback:
the page and its cookie, headers on every response and handshake, refusals that change
nothing, resuming after a dropped connection, and the quick exit forgetting the session."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bot.app.settings import Settings
from bot.channels.http.headers import CSP
from bot.intake.turns import Turns
from storage.db.engine import make_engine, session_factory
from storage.db.models import Conversation
from tests.support.storage_helpers import filed_channels
from tests.support.webchat_harness import (
    buttons,
    chat,
    keys,
    new_session,
    running,
    text_of,
    walk_to_summary,
    ws_url,
)


def assert_guarded(headers: Any) -> None:
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"


async def test_the_page_sets_one_strict_session_cookie_and_has_no_inline_code(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/", headers={"Accept-Language": "en-GB,en"}) as response:
            assert response.status == 200
            assert_guarded(response.headers)
            cookies = response.headers.getall("Set-Cookie")
            page = await response.text()
        assert len(cookies) == 1
        cookie = cookies[0]
        assert re.match(r"session=[A-Za-z0-9_-]{43};", cookie)
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
        assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # a session cookie
        assert '<html lang="en">' in page and "Quick exit" in page
        assert "<style" not in page and " style=" not in page
        scripts = re.findall(r"<script[^>]*>", page)
        assert scripts == ['<script src="/chat/static/chat.js" defer>']
        for path in ("/chat/static/chat.js", "/chat/static/chat.css"):
            async with http.get(url + path) as response:
                assert response.status == 200
                assert_guarded(response.headers)


async def test_websocket_handshakes_carry_the_security_headers_and_foreign_origins_are_refused(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            assert_guarded(client.ws.response.headers)  # type: ignore[union-attr]
            assert (await client.frame())["type"] == "texts"
        for origin in ("http://evil.example", None):
            headers = {"Cookie": f"session={session_id}"}
            if origin:
                headers["Origin"] = origin
            with pytest.raises(InvalidStatus) as refused:
                async with connect(ws_url(url), additional_headers=headers, origin=None):
                    pass
            assert refused.value.response.status_code == 403
            assert_guarded(refused.value.response.headers)


async def test_a_socket_without_a_session_is_told_so_and_closed(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url, chat(url, None) as client:
        frame = await client.frame()
        assert frame["type"] == "ended"
        assert frame["reply"]["key"] == "web_session_ended"
        with pytest.raises(ConnectionClosed) as closed:
            await client.frame()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def _where(
    url: str, session_id: str, *, stored: bool = True
) -> tuple[list[str], dict[str, tuple[str, int]]]:
    """The question the server says the student is at, without changing it. `stored`
    False: the student never said anything, so nothing is stored and the welcome is
    drawn afresh (not "resumed")."""
    async with chat(url, session_id) as client:
        frame = await client.until("turn")
        assert frame["resumed"] is stored
        return keys(frame), buttons(frame)


async def test_bad_frames_get_a_note_and_change_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(web={"max_text_chars": 200})
    async with running(settings) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            first = await client.until("turn")
            assert keys(first) == ["welcome"]
            before = buttons(first)
            for bad, key in (
                ("not json", "web_bad_frame"),
                ({"type": "photo"}, "web_bad_frame"),
                ({"type": "press", "turn": "1", "value": "no"}, "web_bad_frame"),
                (b"\x00\x01", "web_bad_frame"),
                ({"type": "text", "text": "x" * 201}, "text_too_long"),
            ):
                await client.send(bad)
                note = await client.frame()
                assert note["type"] == "notice", bad
                assert note["reply"]["key"] == key
                assert "Traceback" not in text_of(note["reply"])
            assert "200" in text_of(note["reply"])
        _, after = await _where(url, session_id, stored=False)  # refused: nothing written
        assert after["Nee"] == before["Nee"]  # same question, same turn: nothing moved
        async with chat(url, session_id) as client:
            await client.until("turn")
            value, turn = before["Nee"]
            assert keys(await client.press(value, turn)) == ["ask_phase"]


async def test_a_flood_is_refused_with_one_note_and_changes_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings(web={"messages_per_minute": 3})) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            first = await client.until("turn")
            value, turn = buttons(first)["Nee"]
            await client.say("/help")
            await client.say("/help")
            await client.say("/help")
            await client.send({"type": "press", "turn": turn, "value": value})
            note = await client.frame()
            assert note == {
                "type": "notice",
                "reply": {"key": "rate_limited", "runs": note["reply"]["runs"], "buttons": []},
            }
            await client.send({"type": "press", "turn": turn, "value": value})
            await client.send("/help")
        where, now = await _where(url, session_id)
        assert now["Nee"] == (value, turn)  # the refused press did not answer the question
        assert "ask_phase" not in where


async def test_a_failing_turn_says_try_again_without_a_stack_trace(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database on fire")

    async with running(make_settings()) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            await client.until("turn")
            monkeypatch.setattr(Turns, "run", broken)
            await client.send({"type": "text", "text": "hallo"})
            note = await client.frame()
            assert note["reply"]["key"] == "error_try_again"
            assert "fire" not in str(note)


async def test_a_dropped_connection_resumes_at_the_same_question(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            first = await client.until("turn")
            phase = await client.press(*buttons(first)["Nee"])
            assert keys(phase) == ["ask_phase"]
            story = await client.press(*buttons(phase)["Tijdens mijn stage"])
            asked = buttons(story)
        where, again = await _where(url, session_id)
        assert where == keys(story)[-1:]
        assert again == asked
        async with chat(url, session_id) as client:
            await client.until("turn")
            added = await client.say("Mijn begeleider negeerde me.")
            assert added["replies"] and not added["resumed"]


async def test_quick_exit_forgets_the_cookie_and_the_draft(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            first = await client.until("turn")
            await client.press(*buttons(first)["Nee"])
        cookie = {"Cookie": f"session={session_id}"}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url + "/chat/exit", headers={**cookie, "Origin": "http://x.example"}
            ) as r:
                assert r.status == 403  # another site cannot end a student's session
            _, kept = await _where(url, session_id)
            assert "Tijdens mijn stage" in kept
            async with http.post(url + "/chat/exit", headers={**cookie, "Origin": url}) as r:
                assert r.status == 204
                assert_guarded(r.headers)
                gone = r.headers["Set-Cookie"]
        assert gone.startswith('session="";') or gone.startswith("session=;")
        assert "Max-Age=0" in gone
        async with chat(url, session_id) as client:  # even the old id finds nothing now
            frame = await client.until("turn")
            assert frame["resumed"] is False and keys(frame) == ["welcome"]


async def test_switching_language_sends_the_pages_words_in_that_language_first(
    make_settings: Callable[..., Settings],
) -> None:
    async with running(make_settings()) as url:
        session_id = await new_session(url)
        async with chat(url, session_id, **{"Accept-Language": "nl-NL"}) as client:
            texts = await client.frame()
            assert texts["lang"] == "nl" and texts["texts"]["web_quick_exit"] == "Snel weg"
            first = await client.until("turn")
            await client.send(
                {"type": "press", "turn": buttons(first)["English"][1], "value": "lang.en"}
            )
            texts = await client.frame()
            assert texts["type"] == "texts" and texts["lang"] == "en"
            assert texts["texts"]["web_quick_exit"] == "Quick exit"
            turn = await client.frame()
            assert turn["type"] == "turn" and "Yes" in buttons(turn)
        async with aiohttp.ClientSession() as http:  # a reload shows the page in English
            cookie = {"Cookie": f"session={session_id}", "Accept-Language": "nl"}
            async with http.get(url + "/", headers=cookie) as response:
                page = await response.text()
                assert '<html lang="en">' in page and "Set-Cookie" not in response.headers


async def test_a_receipt_the_page_missed_is_shown_when_it_comes_back(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code is shown before filing; the connection drops while the report is being
    filed: the report is committed, nothing of the conversation is stored, and the
    "filed" message still reaches the student on reconnecting (from memory, once)."""
    release = asyncio.Event()
    started = asyncio.Event()
    run = Turns.run

    async def slow(self: Turns, *args: Any, **kwargs: Any) -> Any:
        started.set()
        await release.wait()
        return await run(self, *args, **kwargs)

    async with running(make_settings()) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            summary = await walk_to_summary(client)
            frame = await client.press(*buttons(summary)["Versturen"])
            assert keys(frame) == ["receipt"]
            code = frame["replies"][0]["code"]
            assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", code)
            saved = next(v for label, v in buttons(frame).items() if "Verstuur" in label)
            monkeypatch.setattr(Turns, "run", slow)
            await client.send({"type": "press", "turn": saved[1], "value": saved[0]})
            await asyncio.wait_for(started.wait(), 30)
        release.set()  # the page is gone when the report is filed
        async with chat(url, session_id) as client:
            frame = await client.until("turn")
            assert frame["resumed"] is True
            assert keys(frame) == ["elsewhere", "filed"]
        async with chat(url, session_id) as client:  # shown once, then gone from memory
            frame = await client.until("turn")
            assert keys(frame) == ["welcome"]  # nothing of the filed report is kept
            checked = await client.say(f"/status {code}")
            assert "status_received" in keys(checked)


async def test_a_websocket_writes_nothing_until_the_student_says_something(
    make_settings: Callable[..., Settings],
) -> None:
    """Connecting (and reconnecting) shows the welcome without writing a conversation
    row or a key file; the first input does, and its buttons work."""
    settings = make_settings()
    engine = make_engine(settings.database.url)
    drafts = settings.keys.dir / "drafts"

    async def rows() -> int:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)

    try:
        async with running(settings) as url:
            session_id = await new_session(url)
            for _ in range(3):
                async with chat(url, session_id) as client:
                    welcome = await client.until("turn")
                    assert keys(welcome) == ["welcome"]
            assert await rows() == 0
            assert not drafts.exists() or not any(drafts.iterdir())
            async with chat(url, session_id) as client:
                welcome = await client.until("turn")
                frame = await client.press(*buttons(welcome)["Nee"])
                assert "button_stale" not in keys(frame)
            assert await rows() == 1
            assert len(list(drafts.iterdir())) == 1
    finally:
        await engine.dispose()


async def test_a_returning_student_sees_only_the_status_and_needs_the_code_once(
    make_settings: Callable[..., Settings],
) -> None:
    """The way back in the web chat: after filing, "delete this chat" leaves a way on; a
    new visit's welcome has a "check my report" button; the code once shows the status
    (with when to expect an answer) and nothing else; looking again in that visit needs
    no code."""
    settings = make_settings()
    async with running(settings) as url:
        session_id = await new_session(url)
        async with chat(url, session_id) as client:
            summary = await walk_to_summary(client)
            frame = await client.press(*buttons(summary)["Versturen"])
            code = frame["replies"][0]["code"]
            saved = next(v for label, v in buttons(frame).items() if "Verstuur" in label)
            filed = await client.press(*saved)
            erased = await client.press(*buttons(filed)["Wis dit gesprek"])
            assert erased.get("erase") is True
            assert keys(erased) == ["chat_erased", "idle_help"]
            assert {v for v, _ in buttons(erased).values()} == {"go.report", "go.status"}
        assert await filed_channels(settings.database.url) == ["web"]  # for the figures

        returning = await new_session(url)
        async with chat(url, returning) as client:
            welcome = await client.until("turn")
            assert keys(welcome) == ["welcome"]
            asked = await client.press(*buttons(welcome)["Mijn melding bekijken"])
            assert keys(asked) == ["ask_code"] and "Annuleren" in buttons(asked)
            shown = await client.say(code)
            assert shown["hide_input"] is True
            assert keys(shown) == ["status_received"]  # nothing else
            status = text_of(shown["replies"][0])
            assert "uiterlijk op" in status  # when to expect an answer
            assert "30 minuten" in status  # how long no code is needed
            done = await client.press(*buttons(shown)["Klaar"])
            assert keys(done) == ["status_done_open"]
            again = await client.press(*buttons(done)["Mijn melding bekijken"])
            assert keys(again) == ["status_received"] and again["hide_input"] is False
