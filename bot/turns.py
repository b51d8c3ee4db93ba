"""One student turn, whatever the channel: load state, ask the engine, act, save.

The order matters for "nothing lost": a report is committed before the student is told
it is filed, and the new state is saved before any reply is sent, so a crash between
the two leaves the student one re-asked question behind, never ahead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.followup import FetchFile, FollowUp
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


@dataclass(frozen=True)
class Channel:
    """What the channel of this turn can do beyond replying."""

    push_address: str = ""  # e.g. "telegram:123": where a nudge could reach the student
    fetch_file: FetchFile | None = None  # the bytes behind an Attachment's ref


class Turns:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.follow = FollowUp(services)

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
        channel: Channel | None = None,
    ) -> TurnResult:
        """`channel` says what this channel can do: push nudges later, fetch files."""
        abilities = channel or Channel()
        record = await self.load(chat_key)
        if channel_notes:
            record.channel = {**channel_notes, **record.channel}
        outcome = self.s.dialogue.handle(
            record.state, inp, lang_hint=lang_hint, can_push=bool(abilities.push_address)
        )
        outcome = await self._act(chat_key, record.state, outcome, abilities)
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

    async def current(self, chat_key: str) -> TurnResult | None:
        """The question the student owes an answer to, for a channel that reconnects or
        reloads; nothing is changed or saved. None: no conversation is stored."""
        record = await self.load(chat_key)
        state = record.state
        if state is None:
            return None
        engine = self.s.dialogue
        replies = engine.reprompt(state) or (engine.q.idle_help(state),)
        return TurnResult(replies, lang=state.lang, channel=record.channel)

    async def forget(self, chat_key: str) -> None:
        """Erase the stored conversation (an unfinished draft included); reports filed
        are not touched."""
        await self.s.conversations.delete(chat_key)

    async def _save(self, chat_key: str, record: Record) -> None:
        if record.state is None:
            await self.s.conversations.delete(chat_key)
        else:
            await self.s.conversations.save(chat_key, record.to_json())

    async def _act(
        self, chat_key: str, before: State | None, outcome: Outcome, channel: Channel
    ) -> Outcome:
        action = outcome.action
        state = outcome.state if outcome.state is not None else before
        engine = self.s.dialogue
        if isinstance(action, Submit):
            return await self._submit(outcome, action, channel)
        if isinstance(action, CheckStatus):
            told = engine.status_result(state, await self.follow.status(chat_key, action.code))
        elif isinstance(action, SendReply):
            told = engine.reply_result(state, await self.follow.answer(action.token, action.text))
        elif isinstance(action, SendAttachment):
            sent = await self.follow.send_file(
                action.token, action.ref, action.kind, action.name, channel.fetch_file
            )
            told = engine.reply_result(state, sent)
        elif isinstance(action, Withdraw):
            gone = await self.follow.withdraw(chat_key, action.token, action.code)
            told = engine.withdraw_result(state, gone)
        else:
            return outcome
        return Outcome(told.state, outcome.replies + told.replies, action)

    async def _submit(self, outcome: Outcome, action: Submit, channel: Channel) -> Outcome:
        assert outcome.state is not None
        push = ""
        if action.push and channel.push_address:
            push = f"{channel.push_address}:{outcome.state.lang}"
        try:
            filed = await file_draft(self.s, action.draft, push_target=push)
        except Exception:
            log.exception("filing a report failed; the draft is kept")
            return self.s.dialogue.failure(outcome.state)
        log.info("report %s filed", filed.reference)
        done = self.s.dialogue.submitted(
            outcome.state, receipt=filed.receipt, reference=filed.reference
        )
        return Outcome(done.state, outcome.replies + done.replies, action)


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
