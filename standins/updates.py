"""Update payloads as Telegram sends them for what a user does in a private chat."""

from __future__ import annotations

import re
import time
from typing import Any

from .html_check import utf16_len

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{2,31})?(?![^\s])")
UPDATE_KINDS_BY_DEFAULT_OFF = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


def user(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        data["language_code"] = language_code
    return data


def chat(chat_id: int, first_name: str = "Student") -> dict[str, Any]:
    """A positive id is a private chat; a negative one a group (-100… a supergroup)."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": first_name}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": f"Test {kind}"}


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram adds when a message starts with a command."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def user_message(
    message_id: int, chat_id: int, sender: dict[str, Any], **content: Any
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "from": sender,
        "chat": chat(chat_id, sender.get("first_name", "Student")),
        "date": int(time.time()),
        **content,
    }


def text_content(text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if entities := command_entities(text):
        content["entities"] = entities
    return content


def photo_content(serial: int, caption: str | None = None) -> dict[str, Any]:
    sizes = [(90, 67, 1200), (320, 240, 15000), (800, 600, 60000)]
    photo = [
        {
            "file_id": f"AgACAgQAAxkBAAI{serial:06d}{index}",
            "file_unique_id": f"AQAD{serial:06d}{index}",
            "width": width,
            "height": height,
            "file_size": size,
        }
        for index, (width, height, size) in enumerate(sizes)
    ]
    content: dict[str, Any] = {"photo": photo}
    if caption:
        content["caption"] = caption
    return content


def document_content(serial: int, file_name: str, mime_type: str, size: int) -> dict[str, Any]:
    return {
        "document": {
            "file_id": f"BQACAgQAAxkBAAI{serial:06d}",
            "file_unique_id": f"AgAD{serial:06d}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": size,
        }
    }


def sticker_content(serial: int, emoji: str = "👍") -> dict[str, Any]:
    return {
        "sticker": {
            "file_id": f"CAACAgIAAxkBAAI{serial:06d}",
            "file_unique_id": f"AgAD{serial:06d}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": 24000,
        }
    }


def inaccessible(chat_id: int, message_id: int) -> dict[str, Any]:
    """What a callback query carries when its message is gone (date 0)."""
    return {"chat": chat(chat_id), "message_id": message_id, "date": 0}


def callback_query(
    query_id: str, sender: dict[str, Any], message: dict[str, Any], data: str, chat_instance: str
) -> dict[str, Any]:
    return {
        "id": query_id,
        "from": sender,
        "message": message,
        "chat_instance": chat_instance,
        "data": data,
    }


def kind_of(update: dict[str, Any]) -> str:
    """ "message", "callback_query", … — the one optional field an Update carries."""
    return next((key for key in update if key != "update_id"), "")
