"""One student turn, whatever the channel: load state, ask the engine, act, save.

The order matters for "nothing lost": a report is committed before the student is told
it is filed, and the new state is saved before any reply is sent, so a crash between
the two leaves the student one re-asked question behind, never ahead.

The receipt is the one reply a re-asked question cannot bring back. So the report and
the conversation's next state commit in one transaction, and that state keeps the
receipt message (sealed with the server key, like the draft it replaces) as `unsent`
until the channel confirms it was shown (`delivered`). If the process dies in between,
the student's next input brings the receipt first. Without this, a crash after the
commit left a report whose receipt nobody ever saw, and a second report on the retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.container import Container
from bot.followup import FetchFile, FollowUpActions
from bot.reporting import file_draft
from dialogues import (
    Button,
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
    Texts,
    Withdraw,
)
from storage.reports import Filed

log = logging.getLogger(__name__)

RECORD_VERSION = 1


class NothingToSubmit(RuntimeError):
    """A Submit always comes with the conversation it files; without one, nothing is."""


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


@dataclass(frozen=True)
class Channel:
    """What the channel of this turn can do beyond replying."""

    push_address: str = ""  # e.g. "telegram:123": where a nudge could reach the student
    fetch_file: FetchFile | None = None  # the bytes behind an Attachment's ref
    client: str = ""  # the web chat's client address, for guessing bounds (memory only)


class Turns:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.follow_up = FollowUpActions(container)

    def chat_key(self, channel: str, chat_id: str) -> str:
        return self.container.keys.server.chat_key(channel, chat_id)

    def texts(self, lang: str) -> Texts:
        """The words a channel shows around the conversation (notices, page labels)."""
        return self.container.dialogue.texts(lang)

    async def load(self, chat_key: str) -> Record:
        data = await self.container.conversations.load(chat_key)
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
        outcome = self.container.dialogue.handle(
            record.state, inp, lang_hint=lang_hint, can_push=bool(abilities.push_address)
        )
        previous_question = record.channel.get("question")
        if isinstance(outcome.action, Submit):
            outcome, notes = await self._submit(
                chat_key, record, outcome, outcome.action, abilities
            )
        else:
            outcome = await self._act(chat_key, record.state, outcome, abilities)
            notes = _remember_question(record.channel, outcome)
            await self._save(chat_key, Record(outcome.state, notes))
        unsent = _unsent_reply(notes)
        replies = outcome.replies
        if unsent is not None and not isinstance(outcome.action, Submit):
            replies = (unsent, *replies)  # a receipt a crash kept from the student
        return TurnResult(
            replies,
            erase_chat=isinstance(outcome.action, EraseChat),
            hide_input=isinstance(outcome.action, CheckStatus)
            or (isinstance(outcome.action, Withdraw) and bool(outcome.action.code)),
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

    async def current(self, chat_key: str) -> TurnResult | None:
        """The question the student owes an answer to, for a channel that reconnects or
        reloads; nothing is changed or saved. None: no conversation is stored."""
        record = await self.load(chat_key)
        state = record.state
        if state is None:
            return None
        engine = self.container.dialogue
        replies = engine.reprompt(state) or (engine.q.idle_help(state),)
        unsent = _unsent_reply(record.channel)
        if unsent is not None:
            replies = (unsent, *replies)
        return TurnResult(
            replies, lang=state.lang, channel=record.channel, unsent=unsent is not None
        )

    async def forget(self, chat_key: str) -> None:
        """Erase the stored conversation (an unfinished draft included); reports filed
        are not touched."""
        await self.container.conversations.delete(chat_key)

    async def _save(self, chat_key: str, record: Record) -> None:
        if record.state is None and not record.channel.get(UNSENT):
            await self.container.conversations.delete(chat_key)
        else:  # an unsent receipt outlives an erased conversation until it is shown
            await self.container.conversations.save(chat_key, record.to_json())

    async def _act(
        self, chat_key: str, before: State | None, outcome: Outcome, channel: Channel
    ) -> Outcome:
        action = outcome.action
        state = outcome.state if outcome.state is not None else before
        engine = self.container.dialogue
        if isinstance(action, CheckStatus):
            found = await self.follow_up.status(chat_key, action.code, channel.client)
            told = engine.status_result(state, found)
        elif isinstance(action, SendReply):
            told = engine.reply_result(
                state, await self.follow_up.answer(action.token, action.text)
            )
        elif isinstance(action, SendAttachment):
            sent = await self.follow_up.send_file(
                action.token, action.ref, action.kind, action.name, channel.fetch_file
            )
            told = engine.reply_result(state, sent)
        elif isinstance(action, Withdraw):
            gone = await self.follow_up.withdraw(
                chat_key, action.token, action.code, channel.client
            )
            told = engine.withdraw_result(state, gone)
        else:
            return outcome
        return Outcome(told.state, outcome.replies + told.replies, action)

    async def _submit(
        self, chat_key: str, record: Record, outcome: Outcome, action: Submit, channel: Channel
    ) -> tuple[Outcome, dict[str, Any]]:
        """Files the report and moves the conversation on in one transaction."""
        state = outcome.state
        if state is None:
            raise NothingToSubmit("the engine asked to file a report without its conversation")
        push = ""
        if action.push and channel.push_address:
            push = f"{channel.push_address}:{state.lang}"
        result: dict[str, Any] = {}

        async def also(session: AsyncSession, filed: Filed) -> None:
            done = self.container.dialogue.submitted(
                state, receipt=filed.receipt, reference=filed.reference
            )
            notes = _remember_question(record.channel, done)
            notes[UNSENT] = _reply_to_json(done.replies[-1])
            await self.container.conversations.save_in(
                session, chat_key, Record(done.state, notes).to_json()
            )
            result.update(done=done, notes=notes)

        try:
            filed = await file_draft(self.container, action.draft, push_target=push, also=also)
        except Exception:
            # Nothing is saved: if the commit went through after all (the connection
            # died while the server committed), the stored state is the filed one with
            # its unsent receipt, and overwriting it would invite a second report.
            log.exception("filing a report failed; the draft is kept")
            return self.container.dialogue.failure(record.state), dict(record.channel)
        log.info("report %s filed", filed.reference)
        done = result["done"]
        return Outcome(done.state, outcome.replies + done.replies, action), result["notes"]


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
