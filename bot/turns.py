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

from bot.reporting import file_draft
from bot.services import Services
from dialogues import (
    CheckStatus,
    EraseChat,
    Input,
    Outcome,
    Press,
    Reply,
    SendAttachment,
    SendReply,
    State,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    Submit,
    Withdraw,
)

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
        can_push: bool = False,
    ) -> TurnResult:
        record = await self.load(chat_key)
        if channel_notes:
            record.channel = {**channel_notes, **record.channel}
        outcome = self.s.dialogue.handle(record.state, inp, lang_hint=lang_hint, can_push=can_push)
        outcome = await self._act(chat_key, record.state, outcome)
        previous_question = record.channel.get("question")
        notes = _remember_question(record.channel, outcome)
        await self._save(chat_key, Record(outcome.state, notes))
        return TurnResult(
            outcome.replies,
            erase_chat=isinstance(outcome.action, EraseChat),
            hide_input=isinstance(outcome.action, CheckStatus)
            or (isinstance(outcome.action, Withdraw) and bool(outcome.action.code)),
            replace_question=_redraws(inp, outcome, previous_question),
            lang=_lang(outcome.state or record.state),
            channel=notes,
        )

    async def _save(self, chat_key: str, record: Record) -> None:
        if record.state is None:
            await self.s.conversations.delete(chat_key)
        else:
            await self.s.conversations.save(chat_key, record.to_json())

    async def _act(self, chat_key: str, before: State | None, outcome: Outcome) -> Outcome:
        action = outcome.action
        if isinstance(action, Submit):
            return await self._submit(outcome, action)
        if isinstance(action, CheckStatus):
            result = await self._check_status(chat_key, action.code)
            state = outcome.state if outcome.state is not None else before
            checked = self.s.dialogue.status_result(state, result)
            return Outcome(checked.state, outcome.replies + checked.replies, action)
        state = outcome.state if outcome.state is not None else before
        if isinstance(action, SendReply | SendAttachment):
            # wired by the lead: seal the reply for the report's recipients
            told = self.s.dialogue.reply_result(state, "failed")
            return Outcome(told.state, outcome.replies + told.replies, action)
        if isinstance(action, Withdraw):
            # wired by the lead: mark the report withdrawn (by token, or by code with attempts)
            told = self.s.dialogue.withdraw_result(state, "failed")
            return Outcome(told.state, outcome.replies + told.replies, action)
        return outcome

    async def _submit(self, outcome: Outcome, action: Submit) -> Outcome:
        assert outcome.state is not None
        try:
            filed = await file_draft(self.s, action.draft)
        except Exception:
            log.exception("filing a report failed; the draft is kept")
            return self.s.dialogue.failure(outcome.state)
        log.info("report %s filed", filed.reference)
        done = self.s.dialogue.submitted(
            outcome.state, receipt=filed.receipt, reference=filed.reference
        )
        return Outcome(done.state, outcome.replies + done.replies, action)

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
