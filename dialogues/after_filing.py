"""The engine after a report is filed: checking its status, replying to the adviser,
sending a file, withdrawing — and the results the channel hands back for each.

A receipt code leaves the engine only in an action (`CheckStatus`, `Withdraw`); a reply
token stays in the state only while the screen that needs it is open.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.engine_base import INTENT_COMMANDS
from dialogues.feedback import AsksFeedback, giving_feedback
from dialogues.followup import MAX_ATTACHMENT, MAX_REPLY
from dialogues.state import State
from dialogues.types import (
    AllowShare,
    Attachment,
    CheckStatus,
    Outcome,
    Reply,
    ReplyResult,
    SendAttachment,
    SendReply,
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


class AfterFiling(AsksFeedback):
    def status_result(self, state: State | None, result: StatusResult) -> Outcome:
        """Found: the status, the newest messages, and (with a token) Reply and Withdraw.
        The token is kept in the state while that view is open, and no longer."""
        current = State.new() if state is None else state
        if isinstance(result, StatusFound) and self._asks_feedback(state, result):
            return self._ask_feedback(current, result)  # closed, no feedback yet (issue 12)
        if isinstance(result, StatusFound):
            share = result.may_share if result.pattern and result.reply_token else ()
            viewing = current.advance(
                menu="status", expecting="", token=result.reply_token, share=share
            )
            return self._then_draft(state, viewing, self.followup.status(viewing, result))
        if isinstance(result, StatusNotFound):
            return Outcome(replace(current, expecting="code"), (self._not_found(current, result),))
        return self._then_draft(
            state, replace(current, expecting=""), self._locked(current, result)
        )

    def share_result(self, state: State | None, allowed: bool) -> Outcome:
        """After AllowShare: told plainly whether it is recorded (an ended report, or a
        token gone stale, is not)."""
        current = State.new() if state is None else state
        key = "share_allowed" if allowed else "share_not_recorded"
        return Outcome(state, (self._say(current, key), *self.reprompt(current)))

    def reply_result(self, state: State | None, result: ReplyResult) -> Outcome:
        """After SendReply / SendAttachment. Sent or expired: the token is dropped (an
        expired one is useless; a new /status gives a fresh one). Failed: still replying,
        so the student can simply send it again."""
        current = State.new() if state is None else state
        if result == "failed":
            return Outcome(current, (self._say(current, "reply_failed"),))
        if result in ("wrong_type", "unreadable"):  # still replying: another file will do
            return Outcome(current, (self._say(current, f"attachment_{result}"),))
        key = "reply_sent" if result == "sent" else "reply_expired"
        done = current.advance(expecting="", token="")
        return self._then_draft(state, done, self._say(done, key))

    def withdraw_result(self, state: State | None, result: WithdrawResult) -> Outcome:
        """After Withdraw. A wrong code asks again, as for /status; everything else ends
        the withdrawal, and the token (if one was used) is gone either way."""
        current = replace(State.new() if state is None else state, token="")
        if isinstance(result, StatusNotFound):
            asking = replace(current, expecting="withdraw_code")
            return Outcome(asking, (self._not_found(current, result),))
        current = replace(current, expecting="")
        if isinstance(result, StatusLocked):
            return self._then_draft(state, current, self._locked(current, result))
        key = {"withdrawn": "withdraw_done", "expired": "withdraw_expired"}.get(
            result, "error_try_again"
        )
        return self._then_draft(state, current, self._say(current, key))

    def _status(self, state: State, arg: str) -> Outcome:
        asking = replace(state, expecting="code")
        if arg.strip():
            return self._code_text(asking, arg)
        return Outcome(asking, (self._say(state, "ask_code"),))

    def _code_text(self, state: State, text: str) -> Outcome:
        """A code for /status or /withdraw: it leaves the engine in the action only."""
        purpose = state.expecting
        code = normalize_receipt(text)
        if code is not None:
            action = CheckStatus(code) if purpose == "code" else Withdraw(code=code)
            return Outcome(replace(state, expecting=""), (), action)
        intent = self.intents.match(text)
        if intent is not None and intent != CODE_INTENT.get(purpose):
            return self._command(state, INTENT_COMMANDS[intent])
        return Outcome(state, (self._say(state, "code_format"),))

    def _ask_withdraw(self, state: State, token: str) -> Outcome:
        asking = state.advance(menu="withdraw", token=token)
        return Outcome(asking, (self.followup.withdraw_prompt(asking),))

    def _withdraw_press(self, state: State, choice: str) -> Outcome:
        if choice == "no":
            kept = state.advance(token="")
            return Outcome(kept, (self._say(state, "withdraw_cancelled"), *self.reprompt(kept)))
        if state.token:
            return Outcome(state.advance(token=""), (), Withdraw(token=state.token))
        asking = state.advance(expecting="withdraw_code")
        return Outcome(asking, (self._say(asking, "withdraw_ask_code"),))

    def _status_press(self, state: State, choice: str) -> Outcome:
        if choice == "reply":
            replying = state.advance(expecting="reply")
            return Outcome(replying, (self.followup.reply_prompt(replying),))
        if choice == "withdraw":
            return self._ask_withdraw(state, state.token)
        target = choice.removeprefix("share_")
        if target in state.share and state.token:
            return Outcome(state.advance(token="", share=()), (), AllowShare(state.token, target))
        closed = state.advance(token="")
        return Outcome(closed, (self._say(state, "status_done"), *self.reprompt(closed)))

    def _reply_text(self, state: State, text: str) -> Outcome:
        """Everything typed while replying is the message: no intents, no typed buttons.
        The words go out in the action; the state keeps nothing of them."""
        clean = text.strip()
        if not clean:
            return Outcome(state, (self.followup.reply_prompt(state),))
        if len(clean) > MAX_REPLY:
            return Outcome(state, (self._say(state, "text_too_long", limit=MAX_REPLY),))
        return Outcome(state, (), SendReply(state.token, clean))

    def _attachment(self, state: State, att: Attachment) -> Outcome:
        if state.expecting != "reply" or not att.ref:
            return Outcome(state, (self._say(state, "attachment_not_now"), *self._prompt(state)))
        if not 0 <= att.size <= MAX_ATTACHMENT:
            limit = MAX_ATTACHMENT // (1024 * 1024)
            return Outcome(state, (self._say(state, "attachment_too_large", limit=limit),))
        return Outcome(state, (), SendAttachment(state.token, att.ref, att.kind, att.name))

    def _cancel(self, state: State) -> Outcome:
        """/stop while a code, a reply or a follow-up screen is open closes just that."""
        if giving_feedback(state):
            return self._feedback_cancel(state)
        if state.expecting:
            closed = state.advance(expecting="", token="")
            return Outcome(
                closed, (self._say(state, CANCELLED[state.expecting]), *self._prompt(closed))
            )
        key = "withdraw_cancelled" if state.menu == "withdraw" else "status_done"
        closed = state.advance(token="")
        return Outcome(closed, (self._say(state, key), *self.reprompt(closed)))

    def _not_found(self, state: State, result: StatusNotFound) -> Reply:
        left = max(0, result.attempts_left)
        return self._say(state, "status_not_found", left=left)

    def _locked(self, state: State, result: StatusLocked) -> Reply:
        key = "status_busy" if result.why == "busy" else "status_locked"
        return self._say(state, key, minutes=max(1, result.minutes))
