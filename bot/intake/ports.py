"""What a turn uses of storage and the server key, as protocols.

`Turns` is handed these (the container passes the real ones from `storage`), so a test
can take a turn with in-memory fakes and no database. Only the calls a turn makes are
named here; everything else of the stores stays theirs.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.repositories.conversations import ChatRef


class ChatKeys(Protocol):
    """The keyed hash that names a chat (or a message id) at rest: the server key."""

    def chat_key(self, channel: str, chat_id: str) -> str: ...


class Conversations(Protocol):
    """One sealed conversation record per chat (`ConversationStore`)."""

    async def load(self, chat: ChatRef) -> dict[str, object] | None: ...

    async def save(self, chat: ChatRef, data: dict[str, object]) -> None: ...

    async def delete(self, chat: ChatRef) -> None: ...

    async def delete_in(self, session: AsyncSession | AsyncConnection, chat: ChatRef) -> None: ...

    def shred(self, chat: ChatRef) -> None: ...


class UpdateMarks(Protocol):
    """The marker that an update was handled (`UpdateLog`)."""

    async def claim(self) -> None: ...


class Receipts(Protocol):
    """Draws the receipt code a student saves before filing (`ReportStore`)."""

    def draw_receipt(self) -> str: ...
