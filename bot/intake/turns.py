"""One student turn, whatever the channel: load state, ask the engine, act, save.

The order matters for "nothing lost": a report is committed before the student is told
it is filed, and the new state is saved before any reply is sent, so a crash between
the two leaves the student one re-asked question behind, never ahead.

The receipt is the one reply a re-asked question cannot bring back, so it is shown
*before* filing: Submit draws a code and the draft (sealed with its shreddable key)
keeps it on the receipt screen; "I have saved it" files the report under that code in
one transaction that also deletes the conversation, and the draft's key file is
unlinked right after the commit. A crash before the commit shows the same code again;
after it, the report exists and the student has its code — exactly one report per code
confirmed, and nothing of a filed report left in any conversation.

A chat reaches storage as a `ChatRef`: its hash names the row, its id (never stored)
is part of the draft's key. The report a visit opened with a code (its sealed token)
stays in memory only (`bot/intake/visits.py`): a row is saved without it, and a chat with no
draft keeps its state there instead of in a row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.intake.filing import Filing, file_draft
from bot.intake.ports import ChatKeys, Conversations, Receipts, UpdateMarks
from bot.intake.receipt_gate import ReceiptGate, input_text
from bot.intake.student_actions import FetchFile, FollowUpActions
from bot.intake.student_log import ACTS, FILED
from bot.intake.visits import Visits
from dialogues import (
    AllowShare,
    CheckStatus,
    Command,
    DrawReceipt,
    Engine,
    EraseChat,
    GiveEvaluation,
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
from dialogues.flow import Flow
from storage.repositories.conversations import ChatRef
from storage.repositories.reports import ReceiptTaken

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


@dataclass(frozen=True)
class Channel:
    """What the channel of this turn can do beyond replying."""

    push_address: str = ""  # e.g. "telegram:123": where a nudge could reach the student
    fetch_file: FetchFile | None = None  # the bytes behind an Attachment's ref
    client: str = ""  # the web chat's client address, for guessing bounds (memory only)
    name: str = ""  # telegram | web | whatsapp | terminal: counted in the figures


@dataclass(frozen=True)
class TurnParts:
    """What a turn uses; the container hands in the real ones, a test may hand fakes."""

    engine: Engine  # the pure conversation
    chat_keys: ChatKeys  # the server key: a chat's hash at rest
    conversations: Conversations
    visits: Visits  # the report each visit opened: memory only
    receipt_gate: ReceiptGate
    updates: UpdateMarks  # marks the update handled before a turn acts beyond its chat
    receipts: Receipts  # draws the code shown before filing
    follow_up: FollowUpActions
    filing: Filing


class Turns:
    def __init__(self, parts: TurnParts) -> None:
        self.parts = parts
        self.follow_up = parts.follow_up

    def chat_key(self, channel: str, chat_id: str) -> ChatRef:
        """The chat as storage knows it: its keyed hash, and its id for the draft's key."""
        key = self.parts.chat_keys.chat_key(channel, chat_id)
        return ChatRef(key, chat_id.encode())

    def texts(self, lang: str) -> Texts:
        """The words a channel shows around the conversation (notices, page labels)."""
        return self.parts.engine.texts(lang)

    @property
    def flow(self) -> Flow:
        """The conversation's steps, for a channel that sizes its input box by them."""
        return self.parts.engine.flow

    async def load(self, chat: ChatRef) -> Record:
        """The stored conversation, with the report this visit opened (from memory)."""
        visit = self.parts.visits.get(chat.key)
        data = await self.parts.conversations.load(chat)
        if data is None and visit is not None:
            data = visit.record
        if data is None:
            return Record(None)
        try:
            record = Record.from_json(data)
        except ValueError:
            log.warning("discarded an unreadable conversation state")
            return Record(None)
        if visit is None or record.state is None:
            return record
        return Record(replace(record.state, token=visit.token), record.channel)

    async def run(
        self,
        chat: ChatRef,
        inp: Input,
        *,
        lang_hint: str | None = None,
        channel_notes: dict[str, Any] | None = None,
        channel: Channel | None = None,
    ) -> TurnResult:
        """`channel` says what this channel can do: push nudges later, fetch files.

        An input carrying a receipt code waits at the receipt gate first (Telegram's
        middleware may already have let this task through: then it goes straight on)."""
        async with self.parts.receipt_gate.admit_if(input_text(inp)):
            return await self._run(chat, inp, lang_hint, channel_notes, channel or Channel())

    async def _run(
        self,
        chat: ChatRef,
        inp: Input,
        lang_hint: str | None,
        channel_notes: dict[str, Any] | None,
        abilities: Channel,
    ) -> TurnResult:
        record = self._keep_open(await self.load(chat))
        if channel_notes:
            record.channel = {**channel_notes, **record.channel}
        outcome = self.parts.engine.handle(
            record.state, inp, lang_hint=lang_hint, can_push=bool(abilities.push_address)
        )
        previous_question = record.channel.get("question")
        if outcome.action is not None and not isinstance(outcome.action, DrawReceipt):
            # It acts beyond the conversation: the update is marked handled first, so a
            # second delivery of it never files, checks or sends twice.
            await self.parts.updates.claim()
        if isinstance(outcome.action, Submit):
            outcome, notes = await self._submit(chat, record, outcome, outcome.action, abilities)
        else:
            outcome = await self._act(chat, record.state, outcome, abilities)
            notes = _remember_question(record.channel, outcome)
            await self._save(chat, Record(outcome.state, notes))
        return TurnResult(
            outcome.replies,
            erase_chat=isinstance(outcome.action, EraseChat),
            hide_input=(isinstance(outcome.action, CheckStatus) and bool(outcome.action.code))
            or (isinstance(outcome.action, Withdraw) and bool(outcome.action.code)),
            replace_question=_redraws(inp, outcome, previous_question),
            lang=_lang(outcome.state or record.state),
            channel=notes,
        )

    def greeting(self, lang_hint: str | None = None) -> TurnResult:
        """What a first visit shows (the welcome), computed and not saved: a page that
        connects writes nothing until the student says something."""
        outcome = self.parts.engine.handle(None, Command(name="start"), lang_hint=lang_hint)
        return TurnResult(outcome.replies, lang=_lang(outcome.state))

    async def current(self, chat: ChatRef) -> TurnResult | None:
        """The question the student owes an answer to, for a channel that reconnects or
        reloads; nothing is changed or saved. None: no conversation is stored."""
        record = await self.load(chat)
        state = record.state
        if state is None:
            return None
        engine = self.parts.engine
        replies = engine.reprompt(state) or (engine.q.idle_help(state),)
        return TurnResult(replies, lang=state.lang, channel=record.channel)

    async def forget(self, chat: ChatRef) -> None:
        """Erase the stored conversation (an unfinished draft included) and shred its
        key, and close the report the visit opened; reports filed are not touched."""
        self.parts.visits.forget(chat.key)
        await self.parts.conversations.delete(chat)

    def _keep_open(self, record: Record) -> Record:
        """The report a visit opened stays open while the student keeps chatting: each
        turn moves its token's expiry on. One that ran out (idle, or sealed by a process
        before a restart) is left as it is: it opens nothing, and the first thing done
        with it comes back "expired", so the student is told why the code is asked."""
        state = record.state
        if state is None or not state.token:
            return record
        token = self.follow_up.keep_open(state.token) or state.token
        return Record(replace(state, token=token), record.channel)

    async def _save(self, chat: ChatRef, record: Record) -> None:
        """An idle state (nothing in progress or open) is not kept either: a row left
        after a status check would tie the chat to the report's activity. The visit's
        open report never reaches the row: with no draft the whole state stays in
        memory, with one the row is saved without the token."""
        state = record.state
        visits = self.parts.visits
        if state is None or not state.token:
            visits.forget(chat.key)
        elif state.step is None and not state.receipt:
            visits.keep(chat.key, state.token, record.to_json())
            await self.parts.conversations.delete(chat)
            return
        else:
            visits.keep(chat.key, state.token, None)
            state = replace(state, token="")
        if state is None or state.idle:
            await self.parts.conversations.delete(chat)
        else:
            await self.parts.conversations.save(chat, Record(state, record.channel).to_json())

    async def _act(
        self, chat: ChatRef, before: State | None, outcome: Outcome, channel: Channel
    ) -> Outcome:
        action = outcome.action
        state = outcome.state if outcome.state is not None else before
        engine = self.parts.engine
        if isinstance(action, DrawReceipt):
            if state is None:
                raise NothingToSubmit("the engine drew a code without a conversation")
            code = self.parts.receipts.draw_receipt()
            drawn = engine.receipt_drawn(state, code, push=action.push)
            return Outcome(drawn.state, outcome.replies + drawn.replies, action)
        if isinstance(action, CheckStatus) and action.token:
            told = engine.status_result(state, await self.follow_up.status_opened(action.token))
        elif isinstance(action, CheckStatus):
            found = await self.follow_up.status(chat.key, action.code, channel.client)
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
        elif isinstance(action, GiveEvaluation):
            saved = await self.follow_up.evaluate(
                action.token, action.score, action.text, action.quote
            )
            told = engine.evaluation_result(state, saved)
        elif isinstance(action, AllowShare):
            allowed = await self.follow_up.allow_share(action.token, action.target)
            told = engine.share_result(state, allowed)
        elif isinstance(action, Withdraw):
            gone = await self.follow_up.withdraw(
                chat.key, action.token, action.code, channel.client
            )
            told = engine.withdraw_result(state, gone)
        else:
            return outcome
        return Outcome(told.state, outcome.replies + told.replies, action)

    async def _submit(
        self, chat: ChatRef, record: Record, outcome: Outcome, action: Submit, channel: Channel
    ) -> tuple[Outcome, dict[str, Any]]:
        """Files the report under the code the student saved, and deletes the
        conversation in the same transaction; its key file goes right after the commit."""
        state = record.state
        if state is None:
            raise NothingToSubmit("the engine asked to file a report without its conversation")
        engine = self.parts.engine
        push = ""
        if action.push and channel.push_address:
            push = f"{channel.push_address}:{state.lang}"
        conversations = self.parts.conversations

        async def also(session: AsyncSession, _filed: object) -> None:
            await conversations.delete_in(session, chat)

        try:
            filed = await file_draft(
                self.parts.filing,
                action.draft,
                push_target=push,
                receipt=action.receipt,
                also=also,
                channel=channel.name or None,
            )
        except ReceiptTaken:
            # Another report has this code's lookup id: the student saves a new code.
            again = engine.receipt_drawn(
                state, self.parts.receipts.draw_receipt(), push=action.push, again=True
            )
            notes = _remember_question(record.channel, again)
            await self._save(chat, Record(again.state, notes))
            return Outcome(again.state, again.replies, None), notes
        except Exception:
            # Nothing is saved or shredded: the stored draft still shows the same code and
            # the confirm button; if the commit went through after all (the connection
            # died while the server committed), its row is gone and the sweep at the next
            # start or housekeeping unlinks the key file.
            log.exception("filing a report failed; the draft is kept")
            return engine.failure(state), dict(record.channel)
        conversations.shred(chat)  # synchronously after the commit: no await in between
        self.parts.visits.forget(chat.key)  # nothing of this chat stays, not in memory
        # Counted, not logged: a line's exact time would undo the hour-rounding of the
        # report's stored times (security.md, "Less to see").
        ACTS.note(FILED)
        done = engine.submitted(state, reference=filed.reference)
        return Outcome(None, outcome.replies + done.replies, action), dict(record.channel)


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
