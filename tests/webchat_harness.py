"""The service with its web chat on a free loopback port, and a small WebSocket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect

from bot.config import Settings
from bot.runtime import serve


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
