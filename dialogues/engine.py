"""The conversation engine: (state, input) → (new state, replies, action). Pure.

It never touches a database, a clock or a network. Anything with an effect — filing a
report, checking a receipt, deleting the chat — is returned as an action for the channel
to carry out, which then hands the result back (`submitted`, `status_result`).
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
from dialogues.intents import IntentMatcher, normalise
from dialogues.questions import Questions
from dialogues.receipt import format_code, normalize_code
from dialogues.repair import repair
from dialogues.state import State
from dialogues.summary import Summary, check_draft_steps, draft_of
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
}


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
        self.intents = IntentMatcher()
        unknown = self.intents.names() - set(INTENT_COMMANDS)
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(f"nlu.yml: intents the engine has no meaning for: {names}")

    # --- public ----------------------------------------------------------------------

    def texts(self, lang: str) -> Texts:
        return self._texts.get(lang) or self._texts[lang_from_hint(lang)]

    def handle(self, state: State | None, inp: Input, *, lang_hint: str | None = None) -> Outcome:
        if state is None:
            current = State.new(lang_from_hint(lang_hint))
        else:
            current = repair(state, self.q, self.answers)
        if isinstance(inp, Command):
            outcome = self._command(current, inp.name.strip().lstrip("/").lower(), inp.arg)
        elif isinstance(inp, Press):
            outcome = self._press(current, inp)
        elif isinstance(inp, Text):
            outcome = self._text(current, inp.text, fresh=state is None)
        else:
            outcome = Outcome(
                current, (self._say(current, "unsupported_media"), *self._prompt(current))
            )
        return _forget_empty(state, outcome)

    def submitted(self, state: State, *, receipt: str, reference: str) -> Outcome:
        done = State(lang=state.lang, step="done", turn=state.turn + 1)
        text = self.texts(done.lang).get(
            "receipt", code=format_code(receipt), reference=_quote(reference)
        )
        rows = (
            (self.q.button(done, "btn_erase", "erase"),),
            (self.q.button(done, "btn_keep", "keep"),),
        )
        return Outcome(done, (Reply("receipt", text, rows, protect=True),))

    def status_result(self, state: State | None, result: StatusResult) -> Outcome:
        current = State.new() if state is None else state
        t = self.texts(current.lang)
        if isinstance(result, StatusFound):
            key = f"status_{result.status}"
            if not t.has(key):
                key = "status_in_progress"
            date = result.changed_on.strftime("%d-%m-%Y")
            reply = Reply(key, t.get(key, date=date), protect=True)
            current = replace(current, awaiting_code=False)
        elif isinstance(result, StatusNotFound):
            left = max(0, result.attempts_left)
            reply = Reply("status_not_found", t.get("status_not_found", left=left))
            return Outcome(replace(current, awaiting_code=True), (reply,))
        else:
            minutes = max(1, result.minutes)
            reply = Reply("status_locked", t.get("status_locked", minutes=minutes))
            current = replace(current, awaiting_code=False)
        if current.step in IDLE_STEPS:
            return _forget_empty(state, Outcome(current, (reply,)))
        return Outcome(current, (reply, self._say(current, "still_open"), *self.reprompt(current)))

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
        if state.menu == "resume":
            return (self.q.resume_prompt(state),)
        if state.menu == "language":
            return (self.q.language_picker(state),)
        if state.step == "summary":
            return (self.summary.render(state),)
        if state.step == "edit":
            return (self.summary.edit_menu(state),)
        if self.flow.step(state.step) is not None:
            return (self.q.ask(state),)
        return ()

    # --- commands ----------------------------------------------------------------------

    def _command(self, state: State, name: str, arg: str = "") -> Outcome:
        if name == "stop" and state.awaiting_code:
            cancelled = replace(state, awaiting_code=False)
            return Outcome(
                cancelled, (self._say(state, "code_cancelled"), *self._prompt(cancelled))
            )
        state = replace(state, awaiting_code=False)
        if name in ("start", "report"):
            return self._begin(state, welcome=name == "start")
        if name == "status":
            return self._status(state, arg)
        if name in ("help", "privacy"):
            return Outcome(state, (self._say(state, name), *self.reprompt(state)))
        if name == "language":
            picking = state.advance(menu="language")
            return Outcome(picking, (self.q.language_picker(picking),))
        if name == "stop":
            if _in_draft(state):
                return Outcome(None, (self._say(state, "stopped"),))
            return Outcome(state, (self._say(state, "nothing_to_stop"),))
        return Outcome(state, (self._say(state, "unknown_command"), *self.reprompt(state)))

    def _begin(self, state: State, *, welcome: bool) -> Outcome:
        """Never silently drops a draft: with one in progress, ask first."""
        if _in_draft(state):
            asking = state.advance(menu="resume")
            return Outcome(asking, (self.q.resume_prompt(asking),))
        first = self.flow.steps[0].id
        fresh = State(lang=state.lang, step=first, turn=state.turn + 1, menu="welcome")
        if welcome:
            return Outcome(fresh, (self.q.welcome(fresh),))
        plain = replace(fresh, menu="")
        return Outcome(plain, (self.q.ask(plain),))

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
            return self._command(replace(state, awaiting_code=True), INTENT_COMMANDS[intent])
        return Outcome(replace(state, awaiting_code=True), (self._say(state, "code_format"),))

    # --- buttons -----------------------------------------------------------------------

    def _press(self, state: State, press: Press) -> Outcome:
        if press.turn != state.turn or press.value not in self._offered(state):
            return self.stale(state)
        state = replace(state, awaiting_code=False)
        value = press.value
        group, _, rest = value.partition(".")
        if group == "lang" and rest:
            return self._switch_language(state, rest)
        if value == "privacy":
            return Outcome(state, (self._say(state, "privacy"), *self.reprompt(state)))
        if group == "resume":
            return self._resume(state, rest)
        if group == "go":
            return self._begin(state, welcome=True) if rest == "report" else self._status(state, "")
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
        assert step is not None  # only a flow step offers anything else
        return self._step_press(state, step, value)

    def _offered(self, state: State) -> set[str]:
        """The values of the buttons drawn for this state: nothing else is accepted."""
        values = {b.value for r in self._prompt(state) for row in r.buttons for b in row}
        if state.step == "done":
            values |= {"erase", "keep"}
        return values

    def _switch_language(self, state: State, lang: str) -> Outcome:
        was_welcome = state.menu == "welcome"
        new = state.advance(lang=lang, menu="welcome" if was_welcome else "")
        if was_welcome:
            return Outcome(new, (self.q.welcome(new),))
        return Outcome(new, self.reprompt(new) or (self._say(new, "language_set"),))

    def _resume(self, state: State, choice: str) -> Outcome:
        if choice == "restart":
            return self._begin(State(lang=state.lang, turn=state.turn), welcome=True)
        going_on = state.advance()
        return Outcome(going_on, self.reprompt(going_on))

    def _summary_press(self, state: State, value: str) -> Outcome:
        if value == "submit":
            return Outcome(state, (), Submit(draft_of(state)))
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
        return self.answers.skip(state, step)

    # --- free text ---------------------------------------------------------------------

    def _text(self, state: State, text: str, *, fresh: bool) -> Outcome:
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

    def _say(self, state: State, key: str) -> Reply:
        return self.q.say(state, key)


def _in_draft(state: State) -> bool:
    return state.step not in IDLE_STEPS


def _quote(text: str) -> str:
    return escape(text, quote=False)


def _forget_empty(before: State | None, outcome: Outcome) -> Outcome:
    """A first message that starts nothing (/help, a photo) leaves no state behind."""
    after = outcome.state
    if outcome.action is not None or before is not None or after is None:
        return outcome
    if after == State(lang=after.lang):
        return replace(outcome, state=None)
    return outcome
