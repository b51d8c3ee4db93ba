"""The conversation engine: (state, input) → (new state, replies, action). Pure.

It never touches a database, a clock or a network. Anything with an effect — filing a
report, checking a receipt, answering the adviser, withdrawing, deleting the chat — is
returned as an action for the channel to carry out, which then hands the result back
(`submitted`, `status_result`, `reply_result`, `withdraw_result`).
A receipt code only ever travels in an action, never in the state; a reply token lives in
the state only while a screen that needs it is open.
Bad input (a stale button, forged data, oversize text, a photo) gets a kind reply and
leaves the state exactly as it was.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path

from dialogues.answers import Answers
from dialogues.checks import check_context, check_texts
from dialogues.flow import FLOW_FILE, Step, load_flow
from dialogues.followup import MAX_ATTACHMENT, MAX_REPLY, FollowUp
from dialogues.intents import IntentMatcher, normalise
from dialogues.keys import COMMANDS
from dialogues.questions import Questions
from dialogues.receipt import format_code, normalize_code
from dialogues.repair import repair
from dialogues.state import State
from dialogues.summary import Summary, check_draft_steps, draft_of
from dialogues.texts import LOCALES, Texts, lang_from_hint, load_texts
from dialogues.types import (
    Attachment,
    CheckStatus,
    Command,
    EraseChat,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    ReplyResult,
    SendAttachment,
    SendReply,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    Submit,
    Text,
    Withdraw,
    WithdrawResult,
)

IDLE_STEPS = (None, "done")
INTENT_COMMANDS = {
    "check_status": "status",
    "start_report": "report",
    "help": "help",
    "privacy": "privacy",
    "stop": "stop",
    "greet": "start",
    "change_language": "language",
    "withdraw": "withdraw",
}
# What typing /stop while the engine expects something cancels, and what it says then.
CANCELLED = {
    "code": "code_cancelled",
    "withdraw_code": "withdraw_cancelled",
    "reply": "reply_cancelled",
}
CODE_INTENT = {"code": "check_status", "withdraw_code": "withdraw"}


class Engine:
    def __init__(
        self,
        context: FlowContext,
        *,
        flow_path: Path | None = None,
        locales_dir: Path | None = None,
        strict: bool = False,
    ) -> None:
        """strict: no falling back to Dutch for a text a translation lacks (for tests)."""
        self.flow = load_flow(flow_path or FLOW_FILE)
        check_draft_steps(self.flow)
        check_context(context)
        self._texts = load_texts(locales_dir or LOCALES, strict=strict)
        check_texts(self.flow, context, self._texts)
        self.q = Questions(self.flow, self._texts, context)
        self.summary = Summary(self.q)
        self.answers = Answers(self.q, self.summary)
        self.followup = FollowUp(self.q)
        self.intents = IntentMatcher()
        unknown = self.intents.names() - set(INTENT_COMMANDS)
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(f"nlu.yml: intents the engine has no meaning for: {names}")

    # --- public ----------------------------------------------------------------------

    def texts(self, lang: str) -> Texts:
        return self._texts.get(lang) or self._texts[lang_from_hint(lang)]

    def handle(
        self,
        state: State | None,
        inp: Input,
        *,
        lang_hint: str | None = None,
        can_push: bool = False,
    ) -> Outcome:
        """can_push: this channel can send the student a nudge later (Telegram can, a web
        chat that is closed cannot); the summary then offers "submit and tell me here"."""
        if state is None:
            current = State.new(lang_from_hint(lang_hint))
        else:
            current = repair(state, self.q, self.answers)
        current = replace(current, can_push=can_push)
        if isinstance(inp, Command):
            outcome = self._command(current, inp.name.strip().lstrip("/").lower(), inp.arg)
        elif isinstance(inp, Press):
            outcome = self._press(current, inp)
        elif isinstance(inp, Text):
            outcome = self._text(current, inp.text, fresh=state is None)
        elif isinstance(inp, Attachment):
            outcome = self._attachment(current, inp)
        else:
            outcome = Outcome(
                current, (self._say(current, "unsupported_media"), *self._prompt(current))
            )
        if outcome.state is not None:
            outcome = replace(outcome, state=replace(outcome.state, can_push=can_push).tidy())
        return _forget_empty(state, outcome)

    def submitted(self, state: State, *, receipt: str, reference: str) -> Outcome:
        done = State(lang=state.lang, step="done", turn=state.turn + 1, can_push=state.can_push)
        text = self.texts(done.lang).get(
            "receipt", code=format_code(receipt), reference=_quote(reference)
        )
        rows = (
            (self.q.button(done, "btn_erase", "erase"),),
            (self.q.button(done, "btn_keep", "keep"),),
        )
        return Outcome(done, (Reply("receipt", text, rows, protect=True),))

    def status_result(self, state: State | None, result: StatusResult) -> Outcome:
        """Found: the status, the newest messages, and (with a token) Reply and Withdraw.
        The token is kept in the state while that view is open, and no longer."""
        current = State.new() if state is None else state
        if isinstance(result, StatusFound):
            viewing = current.advance(menu="status", expecting="", token=result.reply_token)
            return self._then_draft(state, viewing, self.followup.status(viewing, result))
        if isinstance(result, StatusNotFound):
            return Outcome(replace(current, expecting="code"), (self._not_found(current, result),))
        return self._then_draft(
            state, replace(current, expecting=""), self._locked(current, result)
        )

    def reply_result(self, state: State | None, result: ReplyResult) -> Outcome:
        """After SendReply / SendAttachment. Sent or expired: the token is dropped (an
        expired one is useless; a new /status gives a fresh one). Failed: still replying,
        so the student can simply send it again."""
        current = State.new() if state is None else state
        if result == "failed":
            return Outcome(current, (self._say(current, "reply_failed"),))
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

    def failure(self, state: State | None, *, key: str = "error_try_again") -> Outcome:
        current = State.new() if state is None else state
        if not self.texts(current.lang).has(key):
            key = "error_try_again"
        return Outcome(state, (self._say(current, key), *self.reprompt(current)))

    def stale(self, state: State | None) -> Outcome:
        current = State.new() if state is None else state
        return Outcome(state, (self._say(current, "button_stale"), *self._prompt(current)))

    def reprompt(self, state: State) -> tuple[Reply, ...]:
        """The question the student owes an answer to now; nothing when idle."""
        if state.expecting == "reply":
            return (self.followup.reply_prompt(state),)
        if state.menu == "resume":
            return (self.q.resume_prompt(state),)
        if state.menu == "language":
            return (self.q.language_picker(state),)
        if state.menu == "withdraw":
            return (self.followup.withdraw_prompt(state),)
        if state.menu == "status" and not _in_draft(state):
            return (self.followup.actions(state),)
        if state.step == "summary":
            return (self.summary.render(state),)
        if state.step == "edit":
            return (self.summary.edit_menu(state),)
        if self.flow.step(state.step) is not None:
            return (self.q.ask(state),)
        return ()

    # --- commands ----------------------------------------------------------------------

    def _command(self, state: State, name: str, arg: str = "") -> Outcome:
        if name not in COMMANDS:  # bad input changes nothing, not even an open reply
            return Outcome(state, (self._say(state, "unknown_command"), *self.reprompt(state)))
        if name == "stop" and (state.expecting or state.menu in ("status", "withdraw")):
            return self._cancel(state)
        # Any command ends typing a code or a reply. /help and /privacy leave a status
        # view open; /withdraw from a status view (or a reply) withdraws that report.
        follow_up = state.menu in ("status", "withdraw")
        keeps_view = follow_up and name in ("help", "privacy")
        keep = state.token if keeps_view or name == "withdraw" else ""
        menu = "" if follow_up and not keeps_view else state.menu
        state = replace(state, expecting="", menu=menu, token=keep)
        if name in ("start", "report"):
            return self._begin(state, welcome=name == "start")
        if name == "status":
            return self._status(state, arg)
        if name == "withdraw":
            return self._ask_withdraw(state, keep)
        if name in ("help", "privacy"):
            return Outcome(state, (self._say(state, name), *self.reprompt(state)))
        if name == "language":
            picking = state.advance(menu="language")
            return Outcome(picking, (self.q.language_picker(picking),))
        if name == "stop":
            if _in_draft(state):
                return Outcome(None, (self._say(state, "stopped"),))
            return Outcome(state, (self._say(state, "nothing_to_stop"),))
        raise AssertionError(f"command {name} has no meaning")  # COMMANDS and this disagree

    def _cancel(self, state: State) -> Outcome:
        """/stop while a code, a reply or a follow-up screen is open closes just that."""
        if state.expecting:
            closed = state.advance(expecting="", token="")
            return Outcome(
                closed, (self._say(state, CANCELLED[state.expecting]), *self._prompt(closed))
            )
        key = "withdraw_cancelled" if state.menu == "withdraw" else "status_done"
        closed = state.advance(token="")
        return Outcome(closed, (self._say(state, key), *self.reprompt(closed)))

    def _begin(self, state: State, *, welcome: bool) -> Outcome:
        """Never silently drops a draft: with one in progress, ask first."""
        if _in_draft(state):
            asking = state.advance(menu="resume")
            return Outcome(asking, (self.q.resume_prompt(asking),))
        first = self.flow.steps[0].id
        fresh = State(
            lang=state.lang,
            step=first,
            turn=state.turn + 1,
            menu="welcome",
            can_push=state.can_push,
        )
        if welcome:
            return Outcome(fresh, (self.q.welcome(fresh),))
        plain = replace(fresh, menu="")
        return Outcome(plain, (self.q.ask(plain),))

    def _status(self, state: State, arg: str) -> Outcome:
        asking = replace(state, expecting="code")
        if arg.strip():
            return self._code_text(asking, arg)
        return Outcome(asking, (self._say(state, "ask_code"),))

    def _code_text(self, state: State, text: str) -> Outcome:
        """A code for /status or /withdraw: it leaves the engine in the action only."""
        purpose = state.expecting
        code = normalize_code(text)
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
        closed = state.advance(token="")
        return Outcome(closed, (self._say(state, "status_done"), *self.reprompt(closed)))

    # --- buttons -----------------------------------------------------------------------

    def _press(self, state: State, press: Press) -> Outcome:
        if press.turn != state.turn or press.value not in self._offered(state):
            return self.stale(state)
        value = press.value
        group, _, rest = value.partition(".")
        if group == "reply":  # the only button while replying: cancel
            return self._cancel(state)
        state = replace(state, expecting="")
        if group == "lang" and rest:
            return self._switch_language(state, rest)
        if value == "privacy":
            return Outcome(state, (self._say(state, "privacy"), *self.reprompt(state)))
        if group == "resume":
            return self._resume(state, rest)
        if group == "go":
            return self._begin(state, welcome=True) if rest == "report" else self._status(state, "")
        if group == "status":
            return self._status_press(state, rest)
        if group == "withdraw":
            return self._withdraw_press(state, rest)
        if value in ("erase", "keep"):
            if value == "erase":
                return Outcome(None, (), EraseChat())
            return Outcome(None, (self._say(state, "kept"),))
        if state.step == "summary":
            return self._summary_press(state, value)
        if state.step == "edit":
            if value == "back":
                return self.answers.enter(state, "summary")
            return self.answers.enter(replace(state, editing=True), value.removeprefix("edit."))
        if value == "back":
            return self.answers.cancel_edit(state)
        step = self.flow.step(state.step)
        if step is None:  # only a flow step offers anything else
            return self.stale(state)
        return self._step_press(state, step, value)

    def _offered(self, state: State) -> set[str]:
        """The values of the buttons drawn for this state: nothing else is accepted."""
        values = {b.value for r in self._prompt(state) for row in r.buttons for b in row}
        if state.step == "done":
            values |= {"erase", "keep"}
        if state.menu == "status":  # its buttons stay live above the open draft question
            values |= {b.value for row in self.followup.buttons(state) for b in row}
        return values

    def _switch_language(self, state: State, lang: str) -> Outcome:
        was_welcome = state.menu == "welcome"
        new = state.advance(lang=lang, menu="welcome" if was_welcome else "")
        if was_welcome:
            return Outcome(new, (self.q.welcome(new),))
        return Outcome(new, self.reprompt(new) or (self._say(new, "language_set"),))

    def _resume(self, state: State, choice: str) -> Outcome:
        if choice == "restart":
            fresh = State(lang=state.lang, turn=state.turn, can_push=state.can_push)
            return self._begin(fresh, welcome=True)
        going_on = state.advance()
        return Outcome(going_on, self.reprompt(going_on))

    def _summary_press(self, state: State, value: str) -> Outcome:
        if value in ("submit", "submit.push"):
            return Outcome(state, (), Submit(draft_of(state, self.q), push=value == "submit.push"))
        if value == "edit":
            menu = state.advance(step="edit")
            return Outcome(menu, (self.summary.edit_menu(menu),))
        return self._command(state, "stop")

    def _step_press(self, state: State, step: Step, value: str) -> Outcome:
        if step.kind == "choice":
            return self.answers.choose(state, step, value)
        if step.kind == "multi":
            if value == "next":
                return self.answers.finish_multi(state, step)
            return self.answers.toggle(state, step, value)
        if step.kind == "story":
            return self.answers.finish_story(state, step)
        if value == "skip":
            return self.answers.skip(state, step)
        return self.answers.pick(state, step, value)

    # --- free text ---------------------------------------------------------------------

    def _text(self, state: State, text: str, *, fresh: bool) -> Outcome:
        if state.expecting == "reply":
            return self._reply_text(state, text)
        if state.awaiting_code:
            return self._code_text(state, text)
        typed = self._typed_button(state, text)
        if typed is not None:
            return self._press(state, Press(state.turn, typed))
        step = self.flow.step(state.step)
        if step is not None and step.kind == "story":
            return self.answers.story_text(state, step, text)
        if step is not None and step.kind == "text":
            return self.answers.free_text(state, step, text)
        intent = self.intents.match(text)
        if intent is not None:
            return self._command(state, INTENT_COMMANDS[intent])
        if fresh:
            return self._begin(state, welcome=True)
        if state.step in IDLE_STEPS:
            return Outcome(state, (self.q.idle_help(state),))
        return Outcome(state, (self._say(state, "use_buttons"), *self.reprompt(state)))

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

    def _typed_button(self, state: State, text: str) -> str | None:
        """A student who types a button's label ("nee") means that button."""
        wanted = normalise(text)
        if not wanted or len(wanted) > 64:
            return None
        hits = {
            b.value
            for r in self._prompt(state)
            for row in r.buttons
            for b in row
            if normalise(b.label) == wanted
        }
        return hits.pop() if len(hits) == 1 else None

    # --- helpers -----------------------------------------------------------------------

    def _prompt(self, state: State) -> tuple[Reply, ...]:
        """What to show after a reply that needs something to tap: the question, or when
        idle the two things one can start."""
        return self.reprompt(state) or (self.q.idle_help(state),)

    def _say(self, state: State, key: str, **values: object) -> Reply:
        return self.q.say(state, key, **values)

    def _then_draft(self, before: State | None, state: State, reply: Reply) -> Outcome:
        """A follow-up answer, then (with a draft open) where the student was in it."""
        state = state.tidy()
        if not _in_draft(state):
            return _forget_empty(before, Outcome(state, (reply,)))
        return Outcome(state, (reply, self._say(state, "still_open"), *self.reprompt(state)))

    def _not_found(self, state: State, result: StatusNotFound) -> Reply:
        left = max(0, result.attempts_left)
        return self._say(state, "status_not_found", left=left)

    def _locked(self, state: State, result: StatusLocked) -> Reply:
        return self._say(state, "status_locked", minutes=max(1, result.minutes))


def _in_draft(state: State) -> bool:
    return state.step not in IDLE_STEPS


def _quote(text: str) -> str:
    return escape(text, quote=False)


def _forget_empty(before: State | None, outcome: Outcome) -> Outcome:
    """A first message that starts nothing (/help, a photo) leaves no state behind."""
    after = outcome.state
    if outcome.action is not None or before is not None or after is None:
        return outcome
    if replace(after, can_push=False) == State(lang=after.lang):
        return replace(outcome, state=None)
    return outcome
