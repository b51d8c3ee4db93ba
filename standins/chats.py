"""The chats the stand-in simulates: one message-id sequence per chat, shared by the user
and the bot, the messages still alive, and the ids deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import ApiError


@dataclass
class StoredMessage:
    message: dict[str, Any]
    from_bot: bool


@dataclass
class Chat:
    chat_id: int
    first_name: str = "Student"
    last_id: int = 0
    alive: dict[int, StoredMessage] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def issued(self, message_id: int) -> bool:
        return 0 < message_id <= self.last_id

    def add(self, message: dict[str, Any], *, from_bot: bool) -> dict[str, Any]:
        self.alive[message["message_id"]] = StoredMessage(message, from_bot)
        return message

    def get(self, message_id: int, missing: str) -> StoredMessage:
        """The live message, or the 400 Telegram gives (`missing`: "message to edit …")."""
        stored = self.alive.get(message_id)
        if stored is None:
            raise ApiError.bad_request(missing)
        return stored

    def delete(self, message_id: int) -> None:
        self.alive.pop(message_id, None)
        self.deleted.add(message_id)

    def ordered(self, *, from_bot: bool | None = None) -> list[dict[str, Any]]:
        return [
            s.message
            for _, s in sorted(self.alive.items())
            if from_bot is None or s.from_bot == from_bot
        ]


class Chats:
    def __init__(self) -> None:
        self._chats: dict[int, Chat] = {}

    def __call__(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Chat(chat_id)
        return chat

    def known(self, chat_id: int) -> bool:
        return chat_id in self._chats
