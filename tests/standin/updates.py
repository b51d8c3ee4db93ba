"""Update objects as Telegram sends them, for a student in a private chat."""

from __future__ import annotations

import time
from typing import Any


def user(chat_id: int, language_code: str, first_name: str = "Student") -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}


def private_chat(chat_id: int, first_name: str = "Student") -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": first_name}


def text_message(message_id: int, chat_id: int, text: str, language_code: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": private_chat(chat_id),
        "from": user(chat_id, language_code),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(" ", 1)[0].encode("utf-16-le")) // 2
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return message


def photo_message(message_id: int, chat_id: int, language_code: str) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": private_chat(chat_id),
        "from": user(chat_id, language_code),
        "photo": [{"file_id": "AgAD-photo", "file_unique_id": "u1", "width": 90, "height": 90}],
    }


def sticker_message(message_id: int, chat_id: int, language_code: str) -> dict[str, Any]:
    sticker = {
        "file_id": "CAAD-sticker",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": private_chat(chat_id),
        "from": user(chat_id, language_code),
        "sticker": sticker,
    }


def callback_query(
    query_id: str, chat_id: int, data: str, message: dict[str, Any], language_code: str
) -> dict[str, Any]:
    return {
        "id": query_id,
        "from": user(chat_id, language_code),
        "message": message,
        "chat_instance": f"ci-{chat_id}",
        "data": data,
    }
