"""The service with its web chat on a free loopback port, and a small WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect

from bot.app.container import build_container
from bot.app.runtime import serve
from bot.app.settings import Settings
from tests.support.case_helpers import Enrolled
from tests.support.console_client import make_world

ATTACHMENT = re.compile(r'<a href="[^"]*?(/reports/\w+/attachments/\w+)">([^<]*)</a>')


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[str]:
    stop = asyncio.Event()
    ready: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, stop, ready=ready))
    try:
        url = await asyncio.wait_for(ready, 60)
        assert url is not None
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


async def new_session(url: str) -> str:
    """GET / the way a browser does; returns the session cookie it was given."""
    async with aiohttp.ClientSession() as http, http.get(url + "/") as response:
        assert response.status == 200
        cookie = response.cookies["session"]
        return cookie.value


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "/chat/socket"


@contextlib.asynccontextmanager
async def chat(url: str, session_id: str | None, **headers: str) -> AsyncIterator[Client]:
    extra = dict(headers)
    if session_id is not None:
        extra["Cookie"] = f"session={session_id}"
    extra.setdefault("Origin", url)
    async with connect(ws_url(url), additional_headers=extra, origin=None) as ws:
        yield Client(ws)


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def frame(self) -> dict[str, Any]:
        data = await asyncio.wait_for(self.ws.recv(), 30)
        frame = json.loads(data)
        assert isinstance(frame, dict)
        return frame

    async def until(self, kind: str) -> dict[str, Any]:
        while True:
            frame = await self.frame()
            if frame["type"] == kind:
                return frame

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def say(self, text: str) -> dict[str, Any]:
        await self.send({"type": "text", "text": text})
        return await self.until("turn")

    async def press(self, value: str, turn: int) -> dict[str, Any]:
        await self.send({"type": "press", "turn": turn, "value": value})
        return await self.until("turn")


def buttons(frame: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """label → (value, turn) of every button in a turn frame."""
    return {
        b["label"]: (b["value"], b["turn"])
        for r in frame["replies"]
        for row in r["buttons"]
        for b in row
    }


def keys(frame: dict[str, Any]) -> list[str]:
    return [r["key"] for r in frame["replies"]]


def text_of(reply: dict[str, Any]) -> str:
    return "".join(run[0] for run in reply["runs"])


SUMMARY_STEPS: list[tuple[str, str | None]] = [
    ("Nee", None),
    ("Tijdens mijn stage", None),
    ("", "Mijn begeleider negeerde me."),
    ("Klaar", None),
    ("Afkomst of huidskleur", None),
    ("Verder", None),
    ("Het gebeurt nog steeds", None),
    ("ROC Mondriaan", None),
    ("", "Bakkerij De Korst"),
    ("Overslaan", None),  # its town
    ("Overslaan", None),  # its KvK number
    ("Nee", None),  # no to matching (company patterns)
    ("Overslaan", None),  # the sector
    ("Nee", None),
    ("Praten met een vertrouwenspersoon", None),
    ("Mijn school (aanbevolen)", None),
]


async def walk_to_summary(client: Client) -> dict[str, Any]:
    """The whole report over the socket (ROC Mondriaan), up to the summary."""
    frame = await client.until("turn")
    for label, text in SUMMARY_STEPS:
        frame = (
            await client.say(text)
            if text is not None
            else await client.press(*buttons(frame)[label])
        )
    assert keys(frame) == ["summary"], keys(frame)
    return frame


async def file_over_socket(client: Client) -> str:
    """A whole report over the socket (ROC Mondriaan), filed; returns its receipt code."""
    frame = await walk_to_summary(client)
    frame = await client.press(*buttons(frame)["Versturen"])
    code = frame["replies"][0]["code"]
    saved = next(v for label, v in buttons(frame).items() if "Verstuur" in label)
    frame = await client.press(*saved)
    assert "filed" in keys(frame), keys(frame)
    assert isinstance(code, str)
    return code


async def to_reply(client: Client, code: str) -> dict[str, Any]:
    """/status with the code, then "Reageren": the frame that asks for the answer."""
    status = await client.say(f"/status {code}")
    return await client.press(*buttons(status)["Reageren"])


async def post_file(
    url: str,
    session_id: str,
    data: bytes,
    name: str = "foto.jpg",
    *,
    chunked: bool = False,
    **headers: str,
) -> tuple[int, list[dict[str, Any]]]:
    """The page's file control: POST /chat/file; the status and the frames answered.
    `chunked`: without a Content-Length, as a client that does not say the size."""
    sent = {"Cookie": f"session={session_id}", "Origin": url, "X-File-Name": name, **headers}

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 1024):
            yield data[start : start + 1024]

    body: Any = pieces() if chunked else data
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + "/chat/file", data=body, headers=sent) as response,
    ):
        if response.status != 200:
            return response.status, []
        body = await response.json()
        return 200, body["frames"]


async def enrol_before(settings: Settings, adviser_id: str) -> Enrolled:
    """An adviser with a key before the report is filed, so it is sealed to them too."""
    container = await build_container(settings)
    try:
        return await make_world(container).enrol(adviser_id)
    finally:
        await container.close()


async def downloads(settings: Settings, adviser: Enrolled) -> list[tuple[str, bytes]]:
    """Every attachment of the one report, as the adviser downloads it in the console:
    (the name the page shows, the bytes of the download)."""
    container = await build_container(settings)
    try:
        world = make_world(container)
        async with world.client() as console:
            assert (await world.login(console, adviser)).status_code == 303
            listed = await console.get("/console/reports")
            (report_id,) = set(re.findall(r"/console/reports/(\w{32})", listed.text))
            page = await console.get(f"/console/reports/{report_id}")
            out = []
            for link, name in ATTACHMENT.findall(page.text):
                got = await console.get(f"/console{link}")
                assert got.status_code == 200
                out.append((html.unescape(name), got.content))
            return out
    finally:
        await container.close()
