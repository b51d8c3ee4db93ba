"""`Turns` built from fakes: no database, no key files, no container.

A turn is handed what it uses (`TurnParts`), so the order of a turn (load, engine, save,
then reply) can be checked with an in-memory conversation store. Whatever a plain
question never touches (follow-ups, filing) is a stand-in that fails when reached.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.intake.receipt_gate import ReceiptGate
from bot.intake.turns import TurnParts, Turns
from bot.intake.visits import Visits
from dialogues import Command, Press, Text
from storage.repositories.conversations import ChatRef
from tests.support.dialogue_driver import ENGINE


class MemoryConversations:
    """The conversation store's calls, on a dict; rows are copied as JSON, like a row."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.saves = 0

    async def load(self, chat: ChatRef) -> dict[str, object] | None:
        row = self.rows.get(chat.key)
        return None if row is None else dict(json.loads(row))

    async def save(self, chat: ChatRef, data: dict[str, object]) -> None:
        self.rows[chat.key] = json.dumps(data)
        self.saves += 1

    async def delete(self, chat: ChatRef) -> None:
        self.rows.pop(chat.key, None)

    async def delete_in(self, session: object, chat: ChatRef) -> None:
        self.rows.pop(chat.key, None)

    def shred(self, chat: ChatRef) -> None:
        pass


class HashedChats:
    def chat_key(self, channel: str, chat_id: str) -> str:
        return hashlib.sha256(f"{channel}:{chat_id}".encode()).hexdigest()


class CountedMarks:
    def __init__(self) -> None:
        self.claims = 0

    async def claim(self) -> None:
        self.claims += 1


class Untouched:
    """For what a plain question must never reach (storage behind the follow-ups)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"this turn reached {self.name}.{attribute}")


def fake_turns() -> tuple[Turns, MemoryConversations, CountedMarks]:
    conversations, marks = MemoryConversations(), CountedMarks()
    parts = TurnParts(
        engine=ENGINE,
        chat_keys=HashedChats(),
        conversations=conversations,
        visits=Visits(),
        receipt_gate=ReceiptGate(),
        updates=marks,
        receipts=Untouched("receipts"),
        follow_up=Untouched("follow_up"),  # type: ignore[arg-type]
        filing=Untouched("filing"),  # type: ignore[arg-type]
    )
    return Turns(parts), conversations, marks


async def test_a_turn_is_saved_under_the_chat_hash() -> None:
    turns, conversations, marks = fake_turns()
    chat = turns.chat_key("terminal", "555")
    assert chat.key == HashedChats().chat_key("terminal", "555") and chat.secret == b"555"

    welcome = await turns.run(chat, Command(name="start"), channel=None)
    assert [r.key for r in welcome.replies] == ["welcome"]
    assert list(conversations.rows) == [chat.key]  # by its hash; the id is nowhere
    assert "555" not in conversations.rows[chat.key]

    no = next(b for r in welcome.replies for row in r.buttons for b in row if b.value == "no")
    asked = await turns.run(chat, Press(turn=no.turn, value="no"))
    assert [r.key for r in asked.replies] == ["ask_phase"]
    assert (await turns.load(chat)).state.step == "phase"  # type: ignore[union-attr]
    assert conversations.saves == 2 and marks.claims == 0  # nothing acted beyond the chat


async def test_a_stale_button_changes_nothing_and_forget_erases_the_draft() -> None:
    turns, conversations, _ = fake_turns()
    chat = turns.chat_key("web", "cookie")
    await turns.run(chat, Command(name="start"))
    before = conversations.rows[chat.key]
    stale = await turns.run(chat, Press(turn=99, value="no"))
    assert stale.replies and (await turns.load(chat)).state.step == "safety"  # type: ignore[union-attr]
    assert json.loads(conversations.rows[chat.key])["engine"]["step"] == "safety"
    assert json.loads(before)["engine"]["step"] == "safety"
    await turns.forget(chat)
    assert conversations.rows == {}
    assert (await turns.load(chat)).state is None
    assert (await turns.current(chat)) is None
    assert [r.key for r in turns.greeting().replies] == ["welcome"]
    assert (await turns.run(chat, Text("hallo"))).replies
