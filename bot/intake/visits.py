"""The report a visit opened with a correct code, held in the process's memory only.

After `/status` and the code, the student reads and answers for the rest of the visit
without typing the code again. What makes that possible — the reply token,
itself sealed under the ephemeral key — never reaches the database: a draft's row is
saved without it, and a chat with nothing but the open report (a status view, a reply
being written) keeps its whole state here instead of in a row. So a copy of the disk
finds no row under the chat of a student who only came back to look, and nothing in
any row names a report. It goes after `TTL` without a message, on `/stop`, on filing,
on the quick exit, and with the process (a restart: the student types the code again).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.intake.reply_token import TTL
from storage.db.clock import utcnow

LIMIT = 10_000  # open visits kept at most; the oldest goes first (it asks the code again)
# Kept this long after the token itself ran out, so the student who comes back is told
# why the code is asked again (the token's "expired" path) rather than just asked.
GRACE = TTL


@dataclass(frozen=True)
class Visit:
    token: str  # sealed under the ephemeral key: report id, data key, expiry
    record: dict[str, object] | None  # the whole conversation, when it has no draft
    until: datetime


class Visits:
    def __init__(self, clock: Callable[[], datetime] = utcnow, limit: int = LIMIT) -> None:
        self.clock = clock
        self.limit = limit
        self._open: OrderedDict[str, Visit] = OrderedDict()

    def get(self, chat_key: str) -> Visit | None:
        self._prune()
        return self._open.get(chat_key)

    def keep(self, chat_key: str, token: str, record: dict[str, object] | None) -> None:
        self._open.pop(chat_key, None)
        self._open[chat_key] = Visit(token, record, self.clock() + TTL + GRACE)
        self._prune()

    def forget(self, chat_key: str) -> None:
        self._open.pop(chat_key, None)

    def __len__(self) -> int:
        return len(self._open)

    def _prune(self) -> None:
        now = self.clock()
        for key in [k for k, v in self._open.items() if v.until <= now]:
            del self._open[key]
        while len(self._open) > self.limit:
            self._open.popitem(last=False)
