"""Cross-cutting concerns for every update: in flight, seen-once, flood control."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from storage.repositories.updates import AlreadyHandled

if TYPE_CHECKING:
    from bot.intake.receipt_gate import ReceiptGate
    from storage.repositories.updates import UpdateLog

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class InFlight(BaseMiddleware):
    """aiogram handles each update in a task of its own and does not wait for them when
    it stops; the service does, before it closes the database under them (a turn cut off
    there would open a new connection on a closed engine, left to the garbage collector)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is None:
            return await handler(event, data)
        self.tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self.tasks.discard(task)

    async def drain(self, within: float) -> None:
        """Until every update being handled is done, or `within` seconds have passed."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=within)


class ReceiptGateMiddleware(BaseMiddleware):
    """An update whose text carries a receipt code waits at the receipt gate
    (bot/intake/receipt_gate.py) before anything else is done for it: placed before
    `OncePerUpdate`, a waiting status check has not even read the update log yet. The
    turn it leads to is then let straight through by `Turns.run` (same task)."""

    def __init__(self, gate: ReceiptGate) -> None:
        self.gate = gate

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.gate.admit_if(_typed_text(event)):
            return await handler(event, data)


def _typed_text(event: TelegramObject) -> str | None:
    """The text or caption of the update's message (new or edited), if any."""
    if not isinstance(event, Update):
        return None
    message = event.message or event.edited_message
    if message is None:
        return None
    return message.text or message.caption


class OncePerUpdate(BaseMiddleware):
    """Telegram may deliver an update twice (webhook retries, a restart before the offset
    was confirmed); the database remembers which ones were handled, across replicas.

    The marker goes in with the turn's saved conversation, one commit
    (storage/repositories/updates.py);
    a turn that saved nothing (an error) gets it in a commit of its own afterwards, so an
    update that failed is not handled again either.

    There is no read first: it was one of three statements in every turn. A
    second delivery runs its handler, and the marker stops it before anything leaves:
    a turn's save (or its claim before acting) finds the marker and raises
    `AlreadyHandled` before any reply is sent, and the few answers that are not turns
    (an edited message, the flood warning) claim the marker before they answer."""

    def __init__(self, log: UpdateLog) -> None:
        self.log = log

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            raise TypeError(f"OncePerUpdate goes on dp.update, not on {type(event).__name__}")
        with self.log.pending("telegram", event.update_id) as marker:
            try:
                result = await handler(event, data)
            except AlreadyHandled:
                return None  # another delivery of it saved its turn: this one says nothing
            except Exception:
                if not marker.claimed:
                    await self.log.first_time(marker.source, marker.update_id)
                raise
        if not marker.claimed:
            await self.log.first_time(marker.source, marker.update_id)
        return result


class OneTurnPerChat(BaseMiddleware):
    """aiogram handles updates as concurrent tasks; two quick messages from one student
    must not both load the same state and overwrite each other's answer. Turns of one chat
    run in order; different chats still run side by side."""

    def __init__(self) -> None:
        self.locks: dict[int, asyncio.Lock] = {}
        self.users: defaultdict[int, int] = defaultdict(int)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat_id = _chat_id(event)
        if chat_id is None:
            return await handler(event, data)
        lock = self.locks.setdefault(chat_id, asyncio.Lock())
        self.users[chat_id] += 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            self.users[chat_id] -= 1
            if self.users[chat_id] == 0:  # nobody holds or awaits it: forget the chat
                del self.users[chat_id]
                del self.locks[chat_id]


class FloodControl(BaseMiddleware):
    """More than `limit` inputs a minute from one chat: warn once, then ignore until calm.

    Kept in memory per replica: it protects the service, not a security boundary.
    """

    def __init__(self, limit: int, warn: Callable[[TelegramObject], Awaitable[None]]) -> None:
        self.limit = limit
        self.warn = warn
        self.seen: defaultdict[int, deque[float]] = defaultdict(deque)
        self.warned: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat_id = _chat_id(event)
        if chat_id is None:
            return await handler(event, data)
        now = time.monotonic()
        self._forget_quiet_chats(now)
        window = self.seen[chat_id]
        while window and now - window[0] > 60:
            window.popleft()
        window.append(now)
        if len(window) <= self.limit:
            self.warned.discard(chat_id)
            return await handler(event, data)
        if chat_id not in self.warned:
            self.warned.add(chat_id)
            await self.warn(event)
        return None

    def _forget_quiet_chats(self, now: float) -> None:
        if len(self.seen) < 10_000:
            return
        for chat_id in [c for c, w in self.seen.items() if not w or now - w[-1] > 60]:
            del self.seen[chat_id]
            self.warned.discard(chat_id)


def _chat_id(event: TelegramObject) -> int | None:
    if isinstance(event, Message):
        return event.chat.id
    if isinstance(event, CallbackQuery) and event.message is not None:
        return event.message.chat.id
    return None
