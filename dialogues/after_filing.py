"""The engine after a report is filed: checking its status, replying to the adviser,
sending a file, withdrawing — and the results the channel hands back for each.

A receipt code leaves the engine only in an action (`CheckStatus`, `Withdraw`). After a
correct code the state keeps the report's token (sealed under the process's ephemeral
key by the channel, opaque here) for the rest of the visit, so the student reads and
answers without typing the code again; the turn runner drops it when it runs out.
A returning student who checks the status sees the status and the adviser's messages
and nothing else, until they ask for more.

`AfterFiling` is the part of the engine that answers there; the screens it draws are
`FollowUp`'s, the closed report's evaluation is `Evaluation`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dialogues.evaluation import Evaluation, evaluating
from dialogues.intents import INTENT_COMMANDS, IntentMatcher
from dialogues.questions import Questions
from dialogues.screens import Screens, forget_empty, in_draft
from dialogues.state import State
from dialogues.status_screens import MAX_ATTACHMENT, MAX_REPLY, FollowUp
from dialogues.types import (
    AllowShare,
    Attachment,
    CheckStatus,
    Outcome,
    Reply,
    ReplyResult,
    SendAttachment,
    SendReply,
    StatusExpired,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    Withdraw,
    WithdrawResult,
)
from vocabulary import normalize_receipt

# What typing /stop while the engine expects something cancels, and what it says then.
CANCELLED = {
    "code": "code_cancelled",
    "withdraw_code": "withdraw_cancelled",
    "reply": "reply_cancelled",
}
CODE_INTENT = {"code": "check_status", "withdraw_code": "withdraw"}
# The engine's commands, for an intent typed where a code was asked for.
Commands = Callable[[State, str], Outcome]


class AfterFiling:
    def __init__(
        self,
        questions: Questions,
        followup: FollowUp,
        intents: IntentMatcher,
        screens: Screens,
        evaluation: Evaluation,
        command: Commands,
    ) -> None:
        self.q = questions
        self.followup = followup
        self.intents = intents
        self.screens = screens
        self.evaluation = evaluation
        self.command = command

    def status_result(self, state: State | None, result: StatusResult) -> Outcome:
        """Found: the status and the newest messages, nothing else (an open draft waits
        behind the view's Done), with Reply and Withdraw while the report is open. Its
        token stays for the visit (`State.token`)."""
        current = State.new() if state is None else state
        if isinstance(result, StatusFound) and self.evaluation.due(state, result):
            return self.evaluation.ask(current, result)  # closed, not evaluated yet
        if isinstance(result, StatusFound):
            share = result.may_share if result.pattern and result.reply_token else ()
            base = self.screens.without_empty_draft(current)
            viewing = base.advance(
                menu="status", expecting="", token=result.reply_token, share=share
            )
            return forget_empty(state, Outcome(viewing, (self.followup.status(viewing, result),)))
        if isinstance(result, StatusNotFound):
            asking = replace(current, expecting="code")
            return Outcome(asking, (self._not_found(asking, result),))
        if isinstance(result, StatusExpired):
            asking = current.advance(expecting="code", token="")
            return Outcome(asking, (self.followup.code_prompt(asking, "unlock_expired"),))
        return self.screens.then_draft(
            state, replace(current, expecting=""), self._locked(current, result)
        )

    def share_result(self, state: State | None, allowed: bool) -> Outcome:
        """After AllowShare: told plainly whether it is recorded (an ended report, or a
        token gone stale, is not)."""
        current = State.new() if state is None else state
        key = "share_allowed" if allowed else "share_not_recorded"
        return Outcome(state, (self.screens.say(current, key), *self.screens.owed(current)))

    def reply_result(self, state: State | None, result: ReplyResult) -> Outcome:
        """After SendReply / SendAttachment. Sent: the view's buttons again, to send more
        or close (the report stays open for the visit). Expired: the token is gone; the
        code opens it again. Failed: still replying, so the student simply sends again."""
        current = State.new() if state is None else state
        if result == "failed":
            return Outcome(current, (self.screens.say(current, "reply_failed"),))
        if result in ("wrong_type", "unreadable"):  # still replying: another file will do
            return Outcome(current, (self.screens.say(current, f"attachment_{result}"),))
        if result == "sent":
            sent = current.advance(expecting="", menu="status")
            key = "reply_sent" if sent.token else "reply_sent_closed"
            text = self.q.t(sent).get(key)
            return Outcome(sent, (Reply(key, text, self.followup.buttons(sent)),))
        done = current.advance(expecting="", token="")
        return self.screens.then_draft(state, done, self.screens.say(done, "reply_expired"))

    def withdraw_result(self, state: State | None, result: WithdrawResult) -> Outcome:
        """After Withdraw. A wrong code asks again, as for /status; everything else ends
        the withdrawal. Withdrawn or expired: the visit's token is no use any more."""
        current = State.new() if state is None else state
        if isinstance(result, StatusNotFound):
            asking = replace(current, expecting="withdraw_code")
            return Outcome(asking, (self._not_found(asking, result),))
        current = replace(current, expecting="")
        if isinstance(result, StatusLocked):
            return self.screens.then_draft(state, current, self._locked(current, result))
        current = replace(current, token="")
        key = {"withdrawn": "withdraw_done", "expired": "withdraw_expired"}.get(
            result, "error_try_again"
        )
        return self.screens.then_draft(state, current, self.screens.say(current, key))

    def status(self, state: State, arg: str) -> Outcome:
        """With a code typed along: check it. Without one, the report this visit opened
        (no code needed again), else ask for the code."""
        asking = replace(state, expecting="code")
        if arg.strip():
            return self.code_text(asking, arg)
        if state.token:
            return Outcome(state, (), CheckStatus(token=state.token))
        return Outcome(asking, (self.followup.code_prompt(asking, "ask_code"),))

    def code_text(self, state: State, text: str) -> Outcome:
        """A code for /status or /withdraw: it leaves the engine in the action only."""
        purpose = state.expecting
        code = normalize_receipt(text)
        if code is not None:
            action = CheckStatus(code) if purpose == "code" else Withdraw(code=code)
            return Outcome(replace(state, expecting=""), (), action)
        intent = self.intents.match(text)
        if intent is not None and intent != CODE_INTENT.get(purpose):
            return self.command(state, INTENT_COMMANDS[intent])
        return Outcome(state, (self.followup.code_prompt(state, "code_format"),))

    def ask_withdraw(self, state: State) -> Outcome:
        asking = state.advance(menu="withdraw")
        return Outcome(asking, (self.followup.withdraw_prompt(asking),))

    def withdraw_press(self, state: State, choice: str) -> Outcome:
        if choice == "no":
            kept = state.advance()
            return self._closed(kept, "withdraw_cancelled")
        if state.token:
            return Outcome(state.advance(), (), Withdraw(token=state.token))
        asking = state.advance(expecting="withdraw_code")
        return Outcome(asking, (self.followup.code_prompt(asking, "withdraw_ask_code"),))

    def status_press(self, state: State, choice: str) -> Outcome:
        if choice == "reply":
            replying = state.advance(expecting="reply")
            return Outcome(replying, (self.followup.reply_prompt(replying),))
        if choice == "withdraw":
            return self.ask_withdraw(state)
        target = choice.removeprefix("share_")
        if target in state.share and state.token:
            return Outcome(state.advance(share=()), (), AllowShare(state.token, target))
        closed = state.advance()
        if not closed.token:
            return self._closed(closed, "status_done")
        # with a draft open its question follows, not the "check my report" button
        return self._closed(closed, "status_done_draft" if in_draft(closed) else "status_done_open")

    def _closed(self, state: State, key: str) -> Outcome:
        """A follow-up screen closed: the draft where the student was, else a way on."""
        said = self.screens.say(state, key)
        if in_draft(state):
            return Outcome(
                state, (said, self.screens.say(state, "still_open"), *self.screens.owed(state))
            )
        return self.screens.way_on(Outcome(state, (said,)))

    def lock(self, state: State) -> Outcome:
        """/stop with a report open for the visit and no draft: close it now."""
        return self.screens.way_on(
            Outcome(state.advance(token=""), (self.screens.say(state, "locked"),))
        )

    def reply_text(self, state: State, text: str) -> Outcome:
        """Everything typed while replying is the message: no intents, no typed buttons.
        The words go out in the action; the state keeps nothing of them."""
        clean = text.strip()
        if not clean:
            return Outcome(state, (self.followup.reply_prompt(state),))
        if len(clean) > MAX_REPLY:
            return Outcome(state, (self.screens.say(state, "text_too_long", limit=MAX_REPLY),))
        return Outcome(state, (), SendReply(state.token, clean))

    def attachment(self, state: State, att: Attachment) -> Outcome:
        if state.expecting != "reply" or not att.ref:
            return Outcome(
                state, (self.screens.say(state, "attachment_not_now"), *self.screens.prompt(state))
            )
        if not 0 <= att.size <= MAX_ATTACHMENT:
            limit = MAX_ATTACHMENT // (1024 * 1024)
            return Outcome(state, (self.screens.say(state, "attachment_too_large", limit=limit),))
        return Outcome(state, (), SendAttachment(state.token, att.ref, att.kind, att.name))

    def cancel(self, state: State) -> Outcome:
        """/stop while a code, a reply or a follow-up screen is open closes just that;
        the report this visit opened stays open."""
        if evaluating(state):
            return self.evaluation.cancel(state)
        if state.expecting:
            closed = state.advance(expecting="")
            return Outcome(
                closed,
                (self.screens.say(state, CANCELLED[state.expecting]), *self.screens.prompt(closed)),
            )
        key = "withdraw_cancelled" if state.menu == "withdraw" else "status_done"
        return self._closed(state.advance(), key)

    def _not_found(self, state: State, result: StatusNotFound) -> Reply:
        left = max(0, result.attempts_left)
        return self.followup.code_prompt(state, "status_not_found", left=left)

    def _locked(self, state: State, result: StatusLocked) -> Reply:
        key = "status_busy" if result.why == "busy" else "status_locked"
        return self.screens.say(state, key, minutes=max(1, result.minutes))
