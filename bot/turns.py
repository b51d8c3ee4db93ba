"""One student turn, whatever the channel: load state, ask the engine, act, save.

The order matters for "nothing lost": a report is committed before the student is told
it is filed, and the new state is saved before any reply is sent, so a crash between
the two leaves the student one re-asked question behind, never ahead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting import file_draft
from bot.services import Services
from dialogues import (
    Button,
    CheckStatus,
    EraseChat,
    Input,
    Outcome,
    Press,
    Reply,
    State,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    Submit,
)
from storage.reports import Filed

log = logging.getLogger(__name__)

RECORD_VERSION = 1


@dataclass
class Record:
    """What is persisted per chat: the engine's state plus a channel's own small notes."""

    state: State | None
    channel: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        engine = self.state.to_json() if self.state is not None else None
        return {"v": RECORD_VERSION, "engine": engine, "channel": self.channel}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Record:
        engine = data.get("engine")
        channel = data.get("channel")
        state = State.from_json(engine) if isinstance(engine, dict) else None
        return cls(state, dict(channel) if isinstance(channel, dict) else {})


@dataclass(frozen=True)
class TurnResult:
    replies: tuple[Reply, ...]
    erase_chat: bool = False
    hide_input: bool = False  # the input held a receipt code: remove it from the chat
    replace_question: bool = False  # first reply redraws the question just answered (toggles)
    lang: str = "nl"
    channel: dict[str, Any] = field(default_factory=dict)
    unsent: bool = False  # a receipt is among the replies: call `Turns.delivered` once shown


class Turns:
    def __init__(self, services: Services) -> None:
        self.s = services

    def chat_key(self, channel: str, chat_id: str) -> str:
        return self.s.keys.server.chat_key(channel, chat_id)

    async def load(self, chat_key: str) -> Record:
        data = await self.s.conversations.load(chat_key)
        if data is None:
            return Record(None)
        try:
            return Record.from_json(data)
        except ValueError:
            log.warning("discarded an unreadable conversation state")
            return Record(None)

    async def run(
        self,
        chat_key: str,
        inp: Input,
        *,
        lang_hint: str | None = None,
        channel_notes: dict[str, Any] | None = None,
    ) -> TurnResult:
        record = await self.load(chat_key)
        if channel_notes:
            record.channel = {**channel_notes, **record.channel}
        outcome = self.s.dialogue.handle(record.state, inp, lang_hint=lang_hint)
        previous_question = record.channel.get("question")
        if isinstance(outcome.action, Submit):
            outcome, notes = await self._submit(chat_key, record, outcome, outcome.action)
        else:
            outcome = await self._act(chat_key, record.state, outcome)
            notes = _remember_question(record.channel, outcome)
            await self._save(chat_key, Record(outcome.state, notes))
        unsent = _unsent_reply(notes)
        replies = outcome.replies
        if unsent is not None and not isinstance(outcome.action, Submit):
            replies = (unsent, *replies)  # a receipt a crash kept from the student
        return TurnResult(
            replies,
            erase_chat=isinstance(outcome.action, EraseChat),
            hide_input=isinstance(outcome.action, CheckStatus),
            replace_question=replies == outcome.replies
            and _redraws(inp, outcome, previous_question),
            lang=_lang(outcome.state or record.state),
            channel=notes,
            unsent=unsent is not None,
        )

    async def delivered(self, chat_key: str) -> None:
        """The channel showed the receipt: forget it (it is never kept longer)."""
        record = await self.load(chat_key)
        if record.channel.pop(UNSENT, None) is None:
            return
        await self._save(chat_key, record)

    async def _save(self, chat_key: str, record: Record) -> None:
        if record.state is None and not record.channel.get(UNSENT):
            await self.s.conversations.delete(chat_key)
        else:  # an unsent receipt outlives an erased conversation until it is shown
            await self.s.conversations.save(chat_key, record.to_json())

    async def _act(self, chat_key: str, before: State | None, outcome: Outcome) -> Outcome:
        action = outcome.action
        if isinstance(action, CheckStatus):
            result = await self._check_status(chat_key, action.code)
            state = outcome.state if outcome.state is not None else before
            checked = self.s.dialogue.status_result(state, result)
            return Outcome(checked.state, outcome.replies + checked.replies, action)
        return outcome

    async def _submit(
        self, chat_key: str, record: Record, outcome: Outcome, action: Submit
    ) -> tuple[Outcome, dict[str, Any]]:
        """Files the report and moves the conversation on in one transaction."""
        assert outcome.state is not None
        state = outcome.state
        result: dict[str, Any] = {}

        async def also(session: AsyncSession, filed: Filed) -> None:
            done = self.s.dialogue.submitted(
                state, receipt=filed.receipt, reference=filed.reference
            )
            notes = _remember_question(record.channel, done)
            notes[UNSENT] = _reply_to_json(done.replies[-1])
            assert done.state is not None
            await self.s.conversations.save_in(
                session, chat_key, Record(done.state, notes).to_json()
            )
            result.update(done=done, notes=notes)

        try:
            filed = await file_draft(self.s, action.draft, also=also)
        except Exception:
            # Nothing is saved: if the commit went through after all (the connection
            # died while the server committed), the stored state is the filed one with
            # its unsent receipt, and overwriting it would invite a second report.
            log.exception("filing a report failed; the draft is kept")
            assert record.state is not None
            return self.s.dialogue.failure(record.state), dict(record.channel)
        log.info("report %s filed", filed.reference)
        done = result["done"]
        return Outcome(done.state, outcome.replies + done.replies, action), result["notes"]

    async def _check_status(self, chat_key: str, code: str) -> StatusResult:
        attempts = self.s.attempts
        locked = await attempts.locked_for(chat_key)
        if locked is not None:
            return StatusLocked(minutes=_minutes(locked))
        view = await self.s.reports.status(code)
        if view is not None:
            return StatusFound(
                status=_student_status(view.status), changed_on=view.changed_at.date()
            )
        left = await attempts.record_failure(chat_key)
        if left <= 0:
            return StatusLocked(minutes=self.s.settings.status.lock_minutes)
        return StatusNotFound(attempts_left=left)


UNSENT = "unsent"


def _reply_to_json(reply: Reply) -> dict[str, Any]:
    rows = [[[b.label, b.value, b.turn] for b in row] for row in reply.buttons]
    return {"key": reply.key, "text": reply.text, "protect": reply.protect, "buttons": rows}


def _unsent_reply(notes: dict[str, Any]) -> Reply | None:
    data = notes.get(UNSENT)
    if not isinstance(data, dict):
        return None
    try:
        rows = tuple(
            tuple(Button(label=str(a), value=str(v), turn=int(t)) for a, v, t in row)
            for row in data.get("buttons", [])
        )
        return Reply(str(data["key"]), str(data["text"]), rows, protect=bool(data["protect"]))
    except (KeyError, TypeError, ValueError):
        log.warning("discarded an unreadable unsent reply")
        return None


def _remember_question(notes: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The key of the last question shown with buttons, so a toggle can redraw it."""
    asked = [r.key for r in outcome.replies if r.buttons]
    return {**notes, "question": asked[-1]} if asked else dict(notes)


def _redraws(inp: Input, outcome: Outcome, previous_question: object) -> bool:
    first = outcome.replies[0] if outcome.replies else None
    return (
        isinstance(inp, Press)
        and first is not None
        and bool(first.buttons)
        and first.key == previous_question
    )


def _lang(state: State | None) -> str:
    return state.lang if state is not None else "nl"


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def _student_status(status: str) -> str:
    # A withdrawn report is, for the student, simply closed.
    return "closed" if status == "withdrawn" else status
