"""Carrying out what a student does after filing: status with the thread, answering,
sending a file, withdrawing — and turning the outcome into the engine's result values.

Wrong receipt codes count towards the same lock-out as /status, whichever command they
came with, so /withdraw is no side door for guessing. Beyond the chat's own lock-out a
code also counts per client address and for everyone (`bot.intake.guessing`), checked before
any Argon2id work; the derivation itself queues behind filing and logins
(`storage.crypto.kdf_thread`), and a full queue says "busy" instead of waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.intake.guessing import Claim, GuessLimits
from bot.intake.media_strip import KINDS, Clean, strip
from bot.intake.receipt_gate import ReceiptGate
from bot.intake.reply_token import EVALUATION, TTL, make_token, open_token, read_token, refresh
from bot.intake.student_log import ACTS, EVALUATED, WITHDRAWN
from dialogues import (
    MAX_ATTACHMENT,
    EvaluationResult,
    ReplyResult,
    StatusExpired,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    ThreadEntry,
    WithdrawResult,
)
from escalation.casework.deadlines import DUTCH_TIME
from escalation.casework.directory import Directory
from storage.crypto.ephemeral import EphemeralKey
from storage.crypto.kdf_thread import KdfBusy, low_priority
from storage.repositories.advisers import AdviserKeys
from storage.repositories.attempts import StatusAttempts
from storage.repositories.evaluations import EvaluationStore
from storage.repositories.reports import Recipient, ReportStore
from storage.repositories.student import StudentSide, StudentView
from vocabulary import OPEN_STATUSES

log = logging.getLogger(__name__)

FetchFile = Callable[[str], Awaitable[bytes]]


@dataclass(frozen=True)
class FollowUpParts:
    """What the follow-up actions use: the student's side of storage, the bounds on
    guessing a code, the key that seals a visit's token, and who hears of an answer."""

    student: StudentSide
    attempts: StatusAttempts  # the per-chat lock-out
    guessing: GuessLimits  # per client address and overall, in memory
    receipt_gate: ReceiptGate
    evaluations: EvaluationStore
    advisers: AdviserKeys
    directory: Directory
    channels: frozenset[str]  # where notices can go: telegram, email
    ephemeral: EphemeralKey  # seals the reply token; drawn at start, never written
    reports: ReportStore  # its clock: the time a token is made and read against
    lock_minutes: int  # how long a chat stays locked after its last wrong code


class FollowUpActions:
    """The student's follow-up actions carried out against storage (the engine decides
    them, in `dialogues/status_screens.py`; this class does them)."""

    def __init__(self, parts: FollowUpParts) -> None:
        self.parts = parts

    async def status(self, chat_key: str, code: str, client: str = "") -> StatusResult:
        """`client`: the web chat's client address ("" for Telegram: its chat is its
        client); counted in memory only."""
        found = await self._view(chat_key, code, client)
        if not isinstance(found, StudentView):
            return found
        return self._found(found)

    async def status_opened(self, token: str) -> StatusResult:
        """The report this visit already opened (the code once per visit): no code, no
        lock-out count; an expired token (idle too long, or a restart) asks for the code
        again."""
        opened = open_token(self.parts.ephemeral, token, self.parts.reports.clock())
        if opened is None or not opened.data_key:
            return StatusExpired()
        view = await self.parts.student.view_opened(opened.report_id, opened.data_key)
        return StatusExpired() if view is None else self._found(view)

    def keep_open(self, token: str) -> str:
        """Another turn in this visit: the report stays open `TTL` from now ("" once
        the token ran out or the service restarted since it was made)."""
        return refresh(self.parts.ephemeral, token, self.parts.reports.clock())

    def _found(self, view: StudentView) -> StatusFound:
        now = self.parts.reports.clock()
        due = view.next_due
        return StatusFound(
            status=view.status,
            changed_on=view.changed_at.date(),
            reference=view.reference,
            thread=tuple(
                ThreadEntry(e.author, e.text, e.event, e.at.date(), e.file) for e in view.thread
            ),
            reply_token=self._token(view),
            expect_by=due.astimezone(DUTCH_TIME).date() if due is not None else None,
            overdue=due is not None and due <= now,
            open_minutes=int(TTL.total_seconds() // 60),
            feedback_token=self._evaluation_token(view),
            pattern=view.pattern,
            may_share=view.may_share,
        )

    async def evaluate(self, token: str, score: int, text: str, quote: bool) -> EvaluationResult:
        """Saves the student's evaluation of a closed report's follow-up once, the text
        sealed to the network's coordinators (those with a key; and the recovery key,
        always)."""
        now = self.parts.reports.clock()
        report_id = read_token(self.parts.ephemeral, token, now, purpose=EVALUATION)
        if report_id is None:
            return "expired"
        readers = [a.id for a in self.parts.directory.network_coordinators]
        keys = await self.parts.advisers.public_keys(readers)
        saved = await self.parts.evaluations.save(
            report_id,
            score=score or None,
            text=text,
            quote=quote,
            readers=tuple(Recipient(a, k) for a, k in keys.items()),
        )
        if saved == "saved":
            ACTS.note(EVALUATED)  # counted per hour, never logged with its time
        return "expired" if saved == "not_closed" else saved

    async def allow_share(self, token: str, target: str) -> bool:
        """The student lets their adviser share the report (in a company pattern) with
        the network or SBB: recorded and audit-logged; the adviser re-seals it."""
        report_id = self._report(token)
        if report_id is None:
            return False
        return await self.parts.student.allow_share(report_id, target)

    async def answer(self, token: str, text: str) -> ReplyResult:
        report_id = self._report(token)
        if report_id is None:
            return "expired"
        sent = await self.parts.student.answer(report_id, text, await self._notices(report_id))
        return "sent" if sent else "expired"

    async def send_file(
        self,
        token: str,
        ref: str,
        kind: str,
        name: str,
        fetch: FetchFile | None,
        allowed: tuple[str, ...] = KINDS,
    ) -> ReplyResult:
        """Every channel's files go through here: stripped of their metadata (GPS,
        author) and then sealed; a file that is not a readable JPEG, PNG or PDF (of the
        `allowed` kinds) is refused and nothing is stored."""
        report_id = self._report(token)
        if report_id is None:
            return "expired"
        if fetch is None:
            return "failed"
        data = await fetch(ref)
        if len(data) > MAX_ATTACHMENT:
            return "failed"
        clean = strip(data, allowed)
        if not isinstance(clean, Clean):
            return "wrong_type" if clean.key == "attachment_wrong_type" else "unreadable"
        notices = await self._notices(report_id)
        sent = await self.parts.student.send_file(
            report_id, _named(name, clean), kind, clean.data, notices
        )
        return "sent" if sent else "expired"

    async def withdraw(
        self, chat_key: str, token: str, code: str, client: str = ""
    ) -> WithdrawResult:
        if token:
            report_id = self._report(token)
            if report_id is None:
                return "expired"
        else:
            found = await self._view(chat_key, code, client)
            if not isinstance(found, StudentView):
                return found
            report_id = found.report_id
        if not await self.parts.student.withdraw(report_id):
            return "failed"
        ACTS.note(WITHDRAWN)  # counted per hour, never logged with its time
        return "withdrawn"

    async def _view(
        self, chat_key: str, code: str, client: str
    ) -> StudentView | StatusNotFound | StatusLocked:
        attempts = self.parts.attempts
        locked = await attempts.locked_for(chat_key)
        if locked is not None:
            return StatusLocked(minutes=_minutes(locked))
        claim = self.parts.guessing.claim(client)
        if not isinstance(claim, Claim):
            log.warning("receipt guessing bound reached (%s); status checks wait", claim.why)
            minutes = _minutes(timedelta(seconds=claim.wait))
            if claim.why == "client":
                return StatusLocked(minutes=minutes)
            return StatusLocked(minutes=minutes, why="busy")
        # The loop work before the derivation is done: the next code check may start its
        # own while this one waits for Argon2id (bot/intake/receipt_gate.py).
        self.parts.receipt_gate.leave()
        try:
            with low_priority():
                view = await self.parts.student.view(code)
        except KdfBusy:
            self.parts.guessing.refund(claim)
            return StatusLocked(minutes=1, why="busy")
        except BaseException:
            self.parts.guessing.refund(claim)
            raise
        if view is not None:
            self.parts.guessing.refund(claim)
            return view
        left = await attempts.record_failure(chat_key)
        if left <= 0:
            return StatusLocked(minutes=self.parts.lock_minutes)
        return StatusNotFound(attempts_left=left)

    def _token(self, view: StudentView) -> str:
        if view.status not in OPEN_STATUSES:
            return ""
        clock = self.parts.reports.clock()
        return make_token(self.parts.ephemeral, view.report_id, clock, view.data_key)

    def _evaluation_token(self, view: StudentView) -> str:
        if not view.evaluation_due:
            return ""
        now = self.parts.reports.clock()
        return make_token(self.parts.ephemeral, view.report_id, now, purpose=EVALUATION)

    def _report(self, token: str) -> str | None:
        return read_token(self.parts.ephemeral, token, self.parts.reports.clock())

    async def _notices(self, report_id: str) -> tuple[tuple[str, str], ...]:
        advisers = map(self.parts.directory.adviser, await self.parts.student.recipients(report_id))
        return tuple(
            (a.id, channel)
            for a in advisers
            if a is not None
            for channel in a.channels
            if channel in self.parts.channels
        )


def _named(name: str, clean: Clean) -> str:
    """The student's file name with the extension of what the file really is."""
    stem = name.rsplit(".", 1)[0].strip() or "bestand"
    return f"{stem}.{'jpg' if clean.kind == 'jpeg' else clean.kind}"


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))
