"""Replies that could not be sent because the page had gone, kept for its return.

A phone that loses its network while a report is being filed must still see that it
was filed: the report is committed and nothing of the conversation is stored any more,
so the frame that says so is kept here, in memory only and for a few minutes, and sent
when the page reconnects. Nothing here is ever written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KEEP_SECONDS = 600.0


@dataclass(frozen=True)
class Pending:
    lang: str
    frame: dict[str, Any]
    until: float


class Undelivered:
    def __init__(self, clock: Callable[[], float], keep: float = KEEP_SECONDS) -> None:
        self.clock = clock
        self.keep_for = keep
        self.items: dict[str, Pending] = {}

    def keep(self, key: str, lang: str, frame: dict[str, Any]) -> None:
        self._sweep()
        self.items[key] = Pending(lang, frame, self.clock() + self.keep_for)

    def take(self, key: str) -> Pending | None:
        self._sweep()
        return self.items.pop(key, None)

    def _sweep(self) -> None:
        now = self.clock()
        for key in [k for k, p in self.items.items() if p.until <= now]:
            del self.items[key]
