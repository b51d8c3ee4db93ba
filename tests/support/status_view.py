"""A student at the status view of a filed report, for the follow-up dialogue tests:
the receipt code, the reply token, a found report with its thread, and the chat that
opened it."""

from __future__ import annotations

import datetime

from dialogues import CheckStatus, StatusFound, ThreadEntry
from tests.support.dialogue_driver import ENGINE, Chat

LANGS = ["nl", "en"]
CODE = "4821093755218804"
TOKEN = "tok.v1_4f9a-Zq~"
DAY = datetime.date(2025, 3, 4)


def found(token: str = TOKEN, *thread: ThreadEntry, status: str = "waiting") -> StatusFound:
    return StatusFound(status, DAY, reference="SM-2025-0042", thread=thread, reply_token=token)


def adviser(text: str, day: int = 4) -> ThreadEntry:
    return ThreadEntry("adviser", text, "", datetime.date(2025, 3, day))


def viewing(lang: str = "nl", result: StatusFound | None = None, chat: Chat | None = None) -> Chat:
    """A student who sent /status with a good code and sees the status view."""
    chat = chat or Chat(lang_hint=lang)
    out = chat.cmd("status", CODE)
    assert out.action == CheckStatus(CODE)
    chat._take(ENGINE.status_result(chat.state, result or found(TOKEN, adviser("Hoi!"))))
    return chat
