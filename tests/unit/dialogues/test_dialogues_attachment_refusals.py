"""A file the channel could not strip (another kind, or one that does not open) is
refused in words and leaves the student answering: the next file or text simply goes."""

from __future__ import annotations

import datetime
from typing import Literal

import pytest

from dialogues import Attachment, SendAttachment, StatusFound, ThreadEntry
from tests.support.dialogue_driver import ENGINE, Chat

CODE = "4821093755218804"
TOKEN = "tok.v1_4f9a-Zq~"


def answering(lang: str) -> Chat:
    chat = Chat(lang_hint=lang)
    chat.cmd("status", CODE)
    day = datetime.date(2025, 3, 4)
    thread = (ThreadEntry("adviser", "Hoi!", "", day),)
    chat._take(ENGINE.status_result(chat.state, StatusFound("waiting", day, "SM-1", thread, TOKEN)))
    chat.press("status.reply")
    assert chat.state is not None and chat.state.expecting == "reply"
    return chat


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("result", ["wrong_type", "unreadable"])
def test_a_refused_file_is_said_and_the_student_is_still_answering(
    lang: str, result: Literal["wrong_type", "unreadable"]
) -> None:
    chat = answering(lang)
    chat._take(ENGINE.reply_result(chat.state, result))
    assert chat.keys == [f"attachment_{result}"]
    assert chat.state is not None and chat.state.expecting == "reply"
    assert chat.state.token == TOKEN
    again = chat.send(Attachment("photo", "ref-2", "foto.jpg", 1000))
    assert again.action == SendAttachment(TOKEN, "ref-2", "photo", "foto.jpg")
