"""Cross-cutting concerns for every update: in flight, seen-once, flood control."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.intake.limits import Flood, OneAtATime
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
    run in order; different chats still run side by side (the keyed locks every channel
    shares: `bot.intake.limits.OneAtATime`)."""

    def __init__(self) -> None:
        self.one = OneAtATime()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat_id = _chat_id(event)
        if chat_id is None:
            return await handler(event, data)
        async with self.one.hold(chat_id):
            return await handler(event, data)


class FloodControl(BaseMiddleware):
    """More than `limit` inputs a minute from one chat: warn once, then ignore until calm.

    The flood control every channel shares (`bot.intake.limits.Flood`): a refused input
    counts too. Kept in memory per replica: it protects the service, not a security
    boundary.
    """

    def __init__(
        self,
        limit: int,
        warn: Callable[[TelegramObject], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.warn = warn
        self.flood = Flood(limit, clock)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat_id = _chat_id(event)
        if chat_id is None:
            return await handler(event, data)
        if self.flood.allow(chat_id):
            return await handler(event, data)
        if self.flood.first_refusal(chat_id):
            await self.warn(event)
        return None


def _chat_id(event: TelegramObject) -> int | None:
    if isinstance(event, Message):
        return event.chat.id
    if isinstance(event, CallbackQuery) and event.message is not None:
        return event.message.chat.id
    return None
