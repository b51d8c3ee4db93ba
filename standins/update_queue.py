"""Pending updates and the long poll, with Telegram's offset semantics.

An update stays pending until a getUpdates call with a higher `offset` confirms it, so a
poller that fetched but never confirmed gets it again (as after a crash). `redeliver`
queues an update once more under the same update_id, whatever the offset, the way a
duplicate looks. Only one long poll may wait: a newer getUpdates ends an older one with 409.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from typing import Any, Literal

from .updates import UPDATE_KINDS_BY_DEFAULT_OFF, kind_of

Wake = Literal["update", "conflict", "stop", "timeout"]


@dataclass
class Pending:
    update: dict[str, Any]
    sticky: bool = False  # a redelivery: survives offsets until delivered once
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    def __init__(self, first_update_id: int = 100001) -> None:
        self._next_id = first_update_id
        self.history: dict[int, dict[str, Any]] = {}
        self.pending: list[Pending] = []
        self.allowed: list[str] = []
        self._poller: asyncio.Future[Wake] | None = None

    def push(self, raw: dict[str, Any]) -> int:
        update_id = self._next_id
        self._next_id += 1
        update = {"update_id": update_id, **{k: v for k, v in raw.items() if k != "update_id"}}
        self.history[update_id] = update
        self.pending.append(Pending(update))
        self._wake("update")
        return update_id

    def redeliver(self, update_id: int) -> None:
        if update_id not in self.history:
            raise KeyError(f"no update {update_id} was ever pushed")
        self.pending.append(Pending(copy.deepcopy(self.history[update_id]), sticky=True))
        self._wake("update")

    def confirm(self, offset: int) -> None:
        """getUpdates' `offset`: forget what lies below it (negative: keep the last -offset)."""
        if offset < 0:
            self.pending = self.pending[offset:]
            return
        self.pending = [
            p for p in self.pending if p.update_id >= offset or (p.sticky and not p.delivered)
        ]

    def discard(self, update_id: int) -> None:
        self.pending = [p for p in self.pending if p.update_id != update_id]

    def clear(self) -> None:
        self.pending.clear()

    def available(self, limit: int) -> list[Pending]:
        allowed = set(self.allowed) if self.allowed else None
        keep: list[Pending] = []
        for pending in self.pending:
            kind = kind_of(pending.update)
            wanted = kind in allowed if allowed else kind not in UPDATE_KINDS_BY_DEFAULT_OFF
            if wanted:
                keep.append(pending)
        self.pending = keep  # updates the bot did not ask for are never sent
        return sorted(keep, key=lambda p: p.update_id)[:limit]

    def undelivered(self) -> int:
        return sum(1 for p in self.pending if not p.delivered)

    async def wait(self, timeout: float) -> Wake:
        """Waits for a push (or a newer poll, or `stop`) for at most `timeout` seconds."""
        future: asyncio.Future[Wake] = asyncio.get_running_loop().create_future()
        self._poller = future
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return "timeout"
        finally:
            if self._poller is future:
                self._poller = None

    def supersede(self) -> None:
        """A new getUpdates arrived: an older long poll ends with 409."""
        self._wake("conflict")

    def stop(self) -> None:
        self._wake("stop")

    def _wake(self, why: Wake) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(why)
