"""The conversation engine: (state, input) → (new state, replies, action). Pure.

It never touches a database, a clock or a network. Anything with an effect — filing a
report, checking a receipt, deleting the chat — is returned as an action for the channel
to carry out, which then hands the result back (`submitted`, `status_result`).
Bad input (a stale button, forged data, oversize text, a photo) gets a kind reply and
leaves the state exactly as it was.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dialogues.answers import Answers
from dialogues.flow import FLOW_FILE, Step, load_flow
from dialogues.intents import IntentMatcher
from dialogues.questions import Questions, quote
from dialogues.receipt import format_code, normalize_code
from dialogues.state import State
from dialogues.summary import Summary, draft_of
from dialogues.texts import LOCALES, Texts, lang_from_hint, load_texts
from dialogues.types import (
    CheckStatus,
    Command,
    EraseChat,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    StatusFound,
    StatusNotFound,
    StatusResult,
    Submit,
    Text,
    Unsupported,
)

GLOBAL_PRESSES = ("lang.nl", "lang.en", "privacy")
MENU_STEPS = ("summary", "edit")


class Engine:
    def __init__(
        self,
        context: FlowContext,
        *,
        flow_path: Path | None = None,
        locales_dir: Path | None = None,
    ) -> None:
        self.flow = load_flow(flow_path or FLOW_FILE)
        self._texts = load_texts(locales_dir or LOCALES)
        self.q = Questions(self.flow, self._texts, context)
        self.summary = Summary(self.q)
        self.answers = Answers(self.q, self.summary)
        self.intents = IntentMatcher()

    # --- public ----------------------------------------------------------------------

    def texts(self, lang: str) -> Texts:
        return self._texts.get(lang, self._texts["nl"])

    def handle(self, state: State | None, inp: Input, *, lang_hint: str | None = None) -> Outcome:
        current = state if state is not None else State.new(lang_from_hint(lang_hint))
        if isinstance(inp, Command):
            outcome = self._command(replace(current, awaiting_code=False), inp)
        elif isinstance(inp, Press):
            outcome = self._press(current, inp)
        elif isinstance(inp, Text):
            outcome = self._text(current, inp.text)
        else:
            outcome = self._unsupported(current, inp)
        return _forget_empty(state, outcome)

    def submitted(self, state: State, *, receipt: str, reference: str) -> Outcome:
        done = State(lang=state.lang, step="done", turn=state.turn + 1)
        t = self.texts(state.lang)
        code = format_code(receipt)
        rows = (
            (self.q.button(done, "btn_erase", "erase"),),
            (self.q.button(done, "btn_keep", "keep"),),
        )
        text = t.get("receipt", code=code, reference=quote(reference))
        return Outcome(done, (Reply("receipt", text, rows, protect=True),))

    def status_result(self, state: State | None, result: StatusResult) -> Outcome:
        current = state or State.new()
        t = self.texts(current.lang)
        if isinstance(result, StatusFound):
            text = t.get(f"status_{result.status}", date=result.changed_on.strftime("%d-%m-%Y"))
            reply = Reply(f"status_{result.status}", text, protect=True)
            current = replace(current, awaiting_code=False)
        elif isinstance(result, StatusNotFound):
            reply = Reply("status_not_found", t.get("status_not_found", left=result.attempts_left))
            current = replace(current, awaiting_code=True)
        else:
            reply = Reply("status_locked", t.get("status_locked", minutes=result.minutes))
            current = replace(current, awaiting_code=False)
        more = self._still_open(current) if not current.awaiting_code else ()
        return Outcome(current, (reply, *more))

    def failure(self, state: State | None, *, key: str = "error_try_again") -> Outcome:
        current = state or State.new()
        return Outcome(state, (self._say(current, key), *self.reprompt(current)))

    def stale(self, state: State | None) -> Outcome:
        current = state or State.new()
        return Outcome(state, (self._say(current, "button_stale"), *self.reprompt(current)))

    def reprompt(self, state: State) -> tuple[Reply, ...]:
        if state.step == "summary":
            return (self.summary.render(state),)
        if state.step == "edit":
            return (self.summary.edit_menu(state),)
        if self.flow.step(state.step or "") is not None:
            return (self.q.ask(state, welcome=state.step == "safety" and not state.answers),)
        return ()

    # --- inputs ------------------------------------------------------------------------

    def _command(self, state: State, cmd: Command) -> Outcome:
        name = cmd.name
        if name in ("start", "report"):
            return self._begin(state, welcome=name == "start")
        if name == "status":
            return self._status(state, cmd.arg)
        if name in ("help", "privacy"):
            return Outcome(state, (self._say(state, name), *self.reprompt(state)))
        if name == "language":
            return Outcome(state, (self.q.language_picker(state),))
        if name == "stop":
            return self._stop(state)
        return Outcome(state, (self._say(state, "unknown_command"), *self.reprompt(state)))

    def _press(self, state: State, press: Press) -> Outcome:
        if press.turn != state.turn:
            return self.stale(state)
        state = replace(state, awaiting_code=False)
        value = press.value
        if value in GLOBAL_PRESSES:
            return self._global_press(state, value)
        if value.startswith("resume.") and _in_draft(state):
            return self._resume(state, value)
        if state.step == "done":
            return self._after_receipt(state, value)
        if state.step in MENU_STEPS:
            return self._menu_press(state, value)
        step = self.flow.step(state.step or "")
        if step is None:
            return self.stale(state)
        return self._step_press(state, step, value)

    def _text(self, state: State, text: str) -> Outcome:
        if state.awaiting_code:
            return self._code_text(state, text)
        step = self.flow.step(state.step or "")
        if step is not None and step.kind == "story":
            return self.answers.story_text(state, step, text)
        if step is not None and step.kind == "text":
            return self.answers.free_text(state, step, text)
        intent = self.intents.match(text)
        if intent is not None:
            return self._intent(state, intent)
        if step is None and state.step not in MENU_STEPS:
            return self._begin(state, welcome=True)
        return Outcome(state, (self._say(state, "use_buttons"), *self.reprompt(state)))

    def _unsupported(self, state: State, _: Unsupported) -> Outcome:
        return Outcome(state, (self._say(state, "unsupported_media"), *self.reprompt(state)))

    # --- actions -----------------------------------------------------------------------

    def _begin(self, state: State, *, welcome: bool) -> Outcome:
        if _in_draft(state):
            new = state.next_turn()
            rows = (
                (self.q.button(new, "btn_continue", "resume.continue"),),
                (self.q.button(new, "btn_restart", "resume.restart"),),
            )
            return Outcome(
                new, (Reply("resume_or_restart", self._t(new, "resume_or_restart"), rows),)
            )
        fresh = State(lang=state.lang, step="safety", turn=state.turn + 1)
        return Outcome(fresh, (self.q.ask(fresh, welcome=welcome),))

    def _resume(self, state: State, value: str) -> Outcome:
        if value == "resume.restart":
            return self._begin(State(lang=state.lang, turn=state.turn), welcome=True)
        new = state.next_turn()
        return Outcome(new, self.reprompt(new))

    def _status(self, state: State, arg: str) -> Outcome:
        if arg.strip():
            return self._code_text(state, arg)
        return Outcome(replace(state, awaiting_code=True), (self._say(state, "ask_code"),))

    def _code_text(self, state: State, text: str) -> Outcome:
        code = normalize_code(text)
        if code is not None:
            return Outcome(replace(state, awaiting_code=False), (), CheckStatus(code))
        intent = self.intents.match(text)
        if intent is not None and intent != "check_status":
            return self._intent(replace(state, awaiting_code=False), intent)
        return Outcome(replace(state, awaiting_code=True), (self._say(state, "code_format"),))

    def _stop(self, state: State) -> Outcome:
        if _in_draft(state):
            return Outcome(None, (self._say(state, "stopped"),))
        return Outcome(state, (self._say(state, "nothing_to_stop"),))

    def _intent(self, state: State, intent: str) -> Outcome:
        command = {
            "check_status": "status",
            "start_report": "report",
            "help": "help",
            "privacy": "privacy",
            "stop": "stop",
            "greet": "start",
            "change_language": "language",
        }[intent]
        return self._command(state, Command(command))

    def _global_press(self, state: State, value: str) -> Outcome:
        if value == "privacy":
            return Outcome(state, (self._say(state, "privacy"), *self.reprompt(state)))
        new = state.next_turn(lang=value.removeprefix("lang."))
        more = self.reprompt(new)
        return Outcome(new, more or (self._say(new, "language_set"),))

    def _after_receipt(self, state: State, value: str) -> Outcome:
        if value == "erase":
            return Outcome(None, (), EraseChat())
        if value == "keep":
            return Outcome(None, (self._say(state, "kept"),))
        return self.stale(state)

    def _menu_press(self, state: State, value: str) -> Outcome:
        if state.step == "summary":
            if value == "submit":
                return Outcome(state, (), Submit(draft_of(state)))
            if value == "edit":
                new = state.next_turn(step="edit")
                return Outcome(new, (self.summary.edit_menu(new),))
            if value == "stop":
                return self._stop(state)
            return self.stale(state)
        if value == "back":
            return self.answers.enter(state, "summary")
        target = value.removeprefix("edit.")
        if value.startswith("edit.") and target in [s.id for s in self.summary.steps(state)]:
            return self.answers.enter(replace(state, editing=True), target)
        return self.stale(state)

    def _step_press(self, state: State, step: Step, value: str) -> Outcome:
        options = self.q.options(step)
        if step.kind == "choice" and value in options:
            return self.answers.choose(state, step, value)
        if step.kind == "multi" and value in options:
            return self.answers.toggle(state, step, value)
        if step.kind == "multi" and value == "next":
            return self.answers.finish_multi(state, step)
        if step.kind == "story" and value == "done":
            return self.answers.finish_story(state, step)
        if step.kind == "text" and step.optional and value == "skip":
            return self.answers.skip(state, step)
        return self.stale(state)

    # --- helpers -----------------------------------------------------------------------

    def _t(self, state: State, key: str) -> str:
        return self.texts(state.lang).get(key)

    def _say(self, state: State, key: str) -> Reply:
        return Reply(key, self._t(state, key))

    def _still_open(self, state: State) -> tuple[Reply, ...]:
        if not _in_draft(state):
            return ()
        return (self._say(state, "still_open"), *self.reprompt(state))


def _in_draft(state: State) -> bool:
    return state.step not in (None, "done")


def _forget_empty(before: State | None, outcome: Outcome) -> Outcome:
    """A first message that starts nothing (/help, a wrong code) leaves no state behind."""
    after = outcome.state
    if outcome.action is not None:
        return outcome
    if before is None and after is not None and after == State(lang=after.lang):
        return replace(outcome, state=None)
    return outcome
