"""The conversation engine: (state, input) → (new state, replies, action). Pure.

It never touches a database, a clock or a network. Anything with an effect — filing a
report, checking a receipt, answering the adviser, withdrawing, deleting the chat — is
returned as an action for the channel to carry out, which then hands the result back
(`submitted`, `status_result`, `reply_result`, `withdraw_result`).
Submitting shows the receipt code *before* anything is filed (`filing`). A code
typed for /status or /withdraw only ever travels in an action, never in the state; the
report's token (opaque, sealed by the channel under a key that lives in memory only)
stays in the state for the rest of the visit, so the code is typed once per visit.
Every turn offers a way on: a button, or (while typed words are awaited) typing.
Bad input (a stale button, forged data, oversize text, a photo) gets a kind reply and
leaves the state exactly as it was.

`Engine` holds the parts and hands each input to the one it concerns. It handles
commands, buttons and free text while a report is drafted itself; `filing` sends it
(the receipt, the buttons under "filed"); `after_filing` answers what comes after
(status, reply, withdraw, and their results), `evaluation` the closed report's
evaluation; `screens` is what they all draw through (the question owed now, the way
on, returning to an open draft).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dialogues.after_filing import AfterFiling
from dialogues.answers import Answers
from dialogues.checks import check_context, check_texts
from dialogues.elsewhere import Elsewhere
from dialogues.evaluation import Evaluation
from dialogues.filing import AFTER_FILING, Filing
from dialogues.flow import FLOW_FILE, load_flow
from dialogues.intents import INTENT_COMMANDS, IntentMatcher
from dialogues.questions import Questions
from dialogues.repair import repair
from dialogues.required_keys import COMMANDS
from dialogues.screens import IDLE_STEPS, Screens, forget_empty, in_draft
from dialogues.state import FEEDBACK_MENUS, State
from dialogues.status_screens import FollowUp
from dialogues.summary import Summary, check_draft_steps
from dialogues.texts import LOCALES, Texts, lang_from_hint, load_texts
from dialogues.typed import Typed
from dialogues.types import (
    Attachment,
    Command,
    DrawReceipt,
    EvaluationResult,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    ReplyResult,
    StatusResult,
    Text,
    WithdrawResult,
)

# Screens after filing that any command closes (and /stop cancels).
FOLLOW_UP_MENUS = ("status", "withdraw", *FEEDBACK_MENUS)
# Buttons that work with no stored state at all: those under "filed", and the two ways
# on that an idle chat offers (an idle state is not kept).
STATELESS = (*AFTER_FILING, "go.report", "go.status")


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
        self.typed = Typed(self.q)
        self.elsewhere = Elsewhere(self.q)
        self.screens = Screens(self.flow, self.q, self.summary, self.followup, self.typed)
        self.filing = Filing(self.q, self.summary, self.elsewhere, self.screens)
        self.evaluation = Evaluation(self.followup, self.screens)
        self.after_filing = AfterFiling(
            self.q, self.followup, self.intents, self.screens, self.evaluation, self._command
        )
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
        if state is None and isinstance(inp, Press) and inp.value in STATELESS:
            fresh = replace(State.new(lang_from_hint(lang_hint)), can_push=can_push)
            if inp.value in AFTER_FILING:
                return self.filing.filed_press(fresh, inp.value)
            outcome = self._press(fresh, Press(fresh.turn, inp.value))
            if outcome.state is not None:
                outcome = replace(outcome, state=replace(outcome.state, can_push=can_push).tidy())
            return outcome
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
            outcome = self.after_filing.attachment(current, inp)
        else:
            outcome = Outcome(
                current,
                (self.screens.say(current, "unsupported_media"), *self.screens.prompt(current)),
            )
        if outcome.state is not None:
            outcome = replace(outcome, state=replace(outcome.state, can_push=can_push).tidy())
        return forget_empty(state, self.screens.way_on(outcome, current.lang))

    def reprompt(self, state: State) -> tuple[Reply, ...]:
        """The question the student owes an answer to now; nothing when idle."""
        return self.screens.owed(state)

    def receipt_drawn(self, state: State, code: str, *, push: bool, again: bool = False) -> Outcome:
        """After DrawReceipt: the code on screen, to be saved before the report is sent."""
        return self.filing.receipt_drawn(state, code, push=push, again=again)

    def submitted(self, state: State, *, reference: str) -> Outcome:
        """Filed: nothing of the conversation is kept; the reference is not shown."""
        return self.filing.submitted(state)

    def status_result(self, state: State | None, result: StatusResult) -> Outcome:
        return self.after_filing.status_result(state, result)

    def share_result(self, state: State | None, allowed: bool) -> Outcome:
        return self.after_filing.share_result(state, allowed)

    def reply_result(self, state: State | None, result: ReplyResult) -> Outcome:
        return self.after_filing.reply_result(state, result)

    def withdraw_result(self, state: State | None, result: WithdrawResult) -> Outcome:
        return self.after_filing.withdraw_result(state, result)

    def evaluation_result(self, state: State | None, result: EvaluationResult) -> Outcome:
        """After GiveEvaluation: the student's evaluation saved (or not)."""
        return self.evaluation.result(state, result)

    def failure(self, state: State | None, *, key: str = "error_try_again") -> Outcome:
        current = State.new() if state is None else state
        if not self.texts(current.lang).has(key):
            key = "error_try_again"
        said = Outcome(state, (self.screens.say(current, key), *self.screens.owed(current)))
        return self.screens.way_on(said, current.lang)

    def stale(self, state: State | None) -> Outcome:
        current = State.new() if state is None else state
        return Outcome(
            state, (self.screens.say(current, "button_stale"), *self.screens.prompt(current))
        )

    def way_on(self, outcome: Outcome, lang: str = "nl") -> Outcome:
        """For the channel's own results: the same no-dead-end rule as every turn."""
        return self.screens.way_on(outcome, lang)

    # --- commands ----------------------------------------------------------------------

    def _command(self, state: State, name: str, arg: str = "") -> Outcome:
        if name not in COMMANDS:  # bad input changes nothing, not even an open reply
            return Outcome(
                state, (self.screens.say(state, "unknown_command"), *self.screens.owed(state))
            )
        if name == "stop" and (state.expecting or state.menu in FOLLOW_UP_MENUS):
            return self.after_filing.cancel(state)
        if name == "stop" and state.token and not in_draft(state):
            return self.after_filing.lock(state)
        # Any command ends typing a code or a reply. /help and /privacy leave a status
        # view open; /withdraw with a report open for this visit withdraws that report.
        follow_up = state.menu in (*FOLLOW_UP_MENUS, "pause")
        keeps_view = follow_up and name in ("help", "privacy")
        menu = "" if follow_up and not keeps_view else state.menu
        # /help while writing the evaluation: its question stays, still waiting for it
        expecting = "feedback" if keeps_view and state.menu == "feedback_text" else ""
        # the evaluation screens' token opens nothing else: it goes when they close
        token = "" if state.menu in FEEDBACK_MENUS and not keeps_view else state.token
        state = replace(state, expecting=expecting, menu=menu, token=token)
        if name in ("start", "report"):
            return self._begin(state, welcome=name == "start")
        if name == "status":
            return self.after_filing.status(state, arg)
        if name == "withdraw":
            return self.after_filing.ask_withdraw(state)
        if name == "help":
            told = (self.screens.say(state, name), self.elsewhere.reply(state))
            return Outcome(state, (*told, *self.screens.owed(state)))
        if name == "privacy":
            return Outcome(state, (self.screens.say(state, name), *self.screens.owed(state)))
        if name == "language":
            picking = state.advance(menu="language")
            return Outcome(picking, (self.q.language_picker(picking),))
        if name == "stop":
            if in_draft(state):
                return Outcome(None, (self.screens.say(state, "stopped"),))
            return Outcome(state, (self.screens.say(state, "nothing_to_stop"),))
        raise AssertionError(f"command {name} has no meaning")  # COMMANDS and this disagree

    def _begin(self, state: State, *, welcome: bool) -> Outcome:
        """Never silently drops a draft: with one in progress, ask first."""
        if in_draft(state):
            asking = state.advance(menu="resume")
            return Outcome(asking, (self.q.resume_prompt(asking),))
        first = self.flow.steps[0].id
        fresh = State(
            lang=state.lang,
            step=first,
            turn=state.turn + 1,
            menu="welcome",
            can_push=state.can_push,
            token=state.token,  # a report opened this visit stays open
        )
        if welcome:
            return Outcome(fresh, (self.q.welcome(fresh),))
        plain = replace(fresh, menu="")
        return Outcome(plain, (self.q.ask(plain),))

    # --- buttons -----------------------------------------------------------------------

    def _press(self, state: State, press: Press) -> Outcome:
        if press.turn != state.turn or press.value not in self._offered(state):
            return self.stale(state)
        value = press.value
        group, _, rest = value.partition(".")
        if group in ("reply", "code"):  # the only button while replying or typing a code
            return self.after_filing.cancel(state)
        if value == "pause.on":  # "I want to go on": the question that waited
            going_on = state.advance()
            return Outcome(going_on, self.screens.owed(going_on))
        state = replace(state, expecting="")
        if group == "lang" and rest:
            return self._switch_language(state, rest)
        if value == "privacy":
            return Outcome(state, (self.screens.say(state, "privacy"), *self.screens.owed(state)))
        if group == "resume":
            return self._resume(state, rest)
        if group == "guess":
            return self._guess_press(state, rest)
        if group == "go":
            return (
                self._begin(state, welcome=True)
                if rest == "report"
                else self.after_filing.status(state, "")
            )
        if group == "status":
            return self.after_filing.status_press(state, rest)
        if group == "withdraw":
            return self.after_filing.withdraw_press(state, rest)
        if group == "feedback":
            return self.evaluation.press(state, rest)
        if value in AFTER_FILING:
            return self.filing.filed_press(state, value)
        if group == "receipt":
            return self.filing.receipt_press(state, rest)
        if state.step == "summary":
            return self._summary_press(state, value)
        if state.step == "edit":
            return self.answers.edit_press(state, value)
        if value == "back":
            return self.answers.cancel_edit(state)
        step = self.flow.step(state.step)
        if step is None:  # only a flow step offers anything else
            return self.stale(state)
        return self.answers.press(state, step, value)

    def _offered(self, state: State) -> set[str]:
        """The values of the buttons drawn for this state: nothing else is accepted."""
        values = {b.value for r in self.screens.prompt(state) for row in r.buttons for b in row}
        if state.step == "done":
            values |= {"erase", "keep"}
        if state.awaiting_code:  # the question above the code prompt still answers
            values |= {
                b.value
                for r in self.screens.owed(replace(state, expecting=""))
                for row in r.buttons
                for b in row
            }
        return values

    def _switch_language(self, state: State, lang: str) -> Outcome:
        was_welcome = state.menu == "welcome"
        back_to = "welcome" if was_welcome else "receipt" if state.receipt else ""
        new = state.advance(lang=lang, menu=back_to)
        if was_welcome:
            return Outcome(new, (self.q.welcome(new),))
        return Outcome(new, self.screens.owed(new) or (self.screens.say(new, "language_set"),))

    def _resume(self, state: State, choice: str) -> Outcome:
        if choice == "restart":
            fresh = State(lang=state.lang, turn=state.turn, can_push=state.can_push)
            return self._begin(fresh, welcome=True)
        going_on = state.advance(menu="receipt" if state.receipt else "")
        return Outcome(going_on, self.screens.owed(going_on))

    def _summary_press(self, state: State, value: str) -> Outcome:
        if value in ("submit", "submit.push"):
            return Outcome(state, (), DrawReceipt(push=value == "submit.push"))
        if value == "edit":
            menu = state.advance(step="edit")
            return Outcome(menu, (self.summary.edit_menu(menu),))
        return self._command(state, "stop")

    # --- free text ---------------------------------------------------------------------

    def _text(self, state: State, text: str, *, fresh: bool) -> Outcome:
        if state.expecting == "reply":
            return self.after_filing.reply_text(state, text)
        if state.expecting == "feedback":
            return self.evaluation.text(state, text)
        if state.awaiting_code:
            return self.after_filing.code_text(state, text)
        typed = self._typed_button(state, text)
        if typed is not None:
            return self._press(state, Press(state.turn, typed))
        if state.menu == "pause":  # the next question waits for "I want to go on"
            return Outcome(
                state, (self.screens.say(state, "use_buttons"), *self.screens.owed(state))
            )
        if state.menu == "confirm":  # neither yes nor no: a new answer to the question
            return self._text(state.advance(), text, fresh=fresh)
        step = self.flow.step(state.step)
        if step is not None and step.kind == "story":
            return self.answers.story_text(state, step, text)
        if step is not None and step.kind == "text":
            return self.answers.free_text(state, step, text)
        meant = self.typed.answer(state, step, text) if step is not None else ()
        if meant and all(m.sure for m in meant):
            return self._typed_answer(state, tuple(m.value for m in meant))
        intent = self.intents.match(text)
        if intent is not None:
            return self._command(state, INTENT_COMMANDS[intent])
        if meant:
            confirming = state.advance(menu="confirm", guess=meant[0].value)
            return Outcome(confirming, (self.typed.confirm(confirming),))
        if fresh:
            return self._begin(state, welcome=True)
        if state.step in IDLE_STEPS:
            return Outcome(state, (self.q.idle_help(state),))
        return Outcome(state, (self.screens.say(state, "use_buttons"), *self.screens.owed(state)))

    def _typed_answer(self, state: State, values: tuple[str, ...]) -> Outcome:
        """Typed options count as their buttons pressed, one after the other (several only
        on a multi step)."""
        outcome = self._press(state, Press(state.turn, values[0]))
        for value in values[1:]:
            if outcome.state is None:
                break
            outcome = self._press(outcome.state, Press(outcome.state.turn, value))
        return outcome

    def _guess_press(self, state: State, choice: str) -> Outcome:
        """ "Did you mean X?": yes presses X; no asks the question again."""
        guess = state.guess
        back = state.advance()
        if choice == "yes" and guess:
            return self._press(back, Press(back.turn, guess))
        return Outcome(back, (self.screens.say(back, "guess_declined"), *self.screens.owed(back)))

    def _typed_button(self, state: State, text: str) -> str | None:
        """A student who types a button's label ("nee") or a synonym ("klopt") means it."""
        buttons = [b for r in self.screens.prompt(state) for row in r.buttons for b in row]
        return self.typed.button(state, buttons, text)
