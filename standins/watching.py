"""What a test of the bot sees of the Bot API stand-in, and how it waits for it.

`Watching` holds the stand-in's record (calls, faults, the chats through `telegram`) and
its change signal: a test reads `calls_of`, `texts_to`, `bot_messages`, … and waits with
`wait_for_calls`, `wait_for_texts` and `wait_idle`, which wake on every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from .methods import Telegram
from .records import Call, Fault

SENT_METHODS = ("sendMessage", "editMessageText")
FAULT_GRACE = 3.0  # seconds after a fault (plus retry_after) during which a retry is awaited


class Watching:
    """The record and the waiting; `BotAPIStandIn.__init__` sets the state."""

    telegram: Telegram
    calls: list[Call]
    faults: list[Fault]
    _in_flight: int
    _last_activity: float
    _changed: asyncio.Event

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _changed_within(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(timeout, 0.001))

    # --- what a test looks at -------------------------------------------------------------

    @property
    def updates(self) -> dict[int, dict[str, Any]]:
        """Every update ever pushed, by update_id."""
        return self.telegram.queue.history

    @property
    def webhook(self) -> dict[str, Any]:
        """setWebhook's parameters while a webhook is set, else {}."""
        return self.telegram.webhook

    @property
    def webhook_url(self) -> str | None:
        """The URL setWebhook set, or None in polling mode."""
        return self.telegram.webhook.get("url") or None

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_to(self, chat_id: int) -> list[Call]:
        """Answered sendMessage and editMessage* calls to the chat, in order."""
        return [
            c
            for c in self.calls
            if c.ok
            and c.chat_id == chat_id
            and (c.method == "sendMessage" or c.method.startswith("editMessage"))
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts the user saw arrive: each answered sendMessage and editMessageText, as
        displayed (HTML tags stripped, entities decoded)."""
        return [
            c.result["text"]
            for c in self.sent_to(chat_id)
            if c.method in SENT_METHODS and isinstance(c.result, dict) and "text" in c.result
        ]

    def mark(self, chat_id: int) -> int:
        """`len(texts_to(chat_id))` now; pass it as `since=` to `wait_for_texts`."""
        return len(self.texts_to(chat_id))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages still in the chat, oldest first. These are the stand-in's own
        (live) objects: they follow later edits. Do not modify them."""
        return self.telegram.chats(chat_id).ordered(from_bot=True)

    def last_message(self, chat_id: int) -> dict[str, Any]:
        """The bot's latest message still in the chat (live, with its current markup)."""
        mine = self.bot_messages(chat_id)
        assert mine, f"the bot has no message in chat {chat_id}"
        return mine[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self.telegram.chats(chat_id).alive[message_id].message

    def messages(self, chat_id: int) -> list[int]:
        """Ids of the messages still in the chat, the user's and the bot's."""
        return sorted(self.telegram.chats(chat_id).alive)

    def deleted(self, chat_id: int) -> set[int]:
        return set(self.telegram.chats(chat_id).deleted)

    # --- waiting --------------------------------------------------------------------------

    async def wait_for_calls(
        self,
        predicate: Callable[[Call], bool],
        count: int = 1,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> list[Call]:
        """Until `count` calls (from index `since` of `calls`) match; returns all matches."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls[since:] if predicate(c)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(found)} of {count} expected calls within {timeout}s")
            await self._changed_within(remaining)

    async def wait_for_texts(
        self, chat_id: int, n: int, timeout: float = 5.0, *, since: int = 0
    ) -> list[str]:
        """Until `n` texts (see `texts_to`) beyond `since` reached the chat; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            texts = self.texts_to(chat_id)[since:]
            if len(texts) >= n:
                return texts
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(texts)} of {n} texts to {chat_id} in {timeout}s: {texts}")
            await self._changed_within(remaining)

    async def wait_idle(self, timeout: float = 5.0, *, quiet: float = 0.2) -> None:
        """Until every pushed update was fetched, no call is in flight, no injected fault
        awaits its retry, and nothing happened for `quiet` seconds. A heuristic: a handler
        that computes silently for longer than `quiet` may still be busy."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            busy = self._busy(now)
            still = quiet - (now - self._last_activity)
            if not busy and still <= 0:
                return
            if now >= deadline:
                raise TimeoutError(f"not idle within {timeout}s: {busy or 'calls keep coming'}")
            await self._changed_within(min(deadline - now, still if not busy else 0.05))

    def _busy(self, now: float) -> str:
        reasons = []
        if not self.telegram.webhook and (n := self.telegram.queue.undelivered()):
            reasons.append(f"{n} pushed update(s) not fetched by getUpdates")
        if self._in_flight:
            reasons.append(f"{self._in_flight} call(s) in flight")
        for fault in self.faults:
            hit = fault.call
            if hit is None or now > hit.at + (fault.retry_after or 0) + FAULT_GRACE:
                continue
            if not any(c.method == hit.method and c.at > hit.at for c in self.calls):
                reasons.append(f"{hit.method} not yet retried after injected {fault.status}")
        return "; ".join(reasons)
