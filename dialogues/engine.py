"""The conversation engine: (state, input) → (new state, replies, action). Pure.

It never touches a database, a clock or a network. Anything with an effect — filing a
report, checking a receipt, answering the adviser, withdrawing, deleting the chat — is
returned as an action for the channel to carry out, which then hands the result back
(`submitted`, `status_result`, `reply_result`, `withdraw_result`).
Submitting shows the receipt code *before* anything is filed: the channel draws it
(`DrawReceipt` → `receipt_drawn`), the state keeps it while the receipt screen is open
(so a crash before filing shows the same code again), and "I have saved it" files the
report under it (`Submit` → `submitted`). That state lives in the draft, sealed with
a key the channel shreds when the report is filed, so the code survives nowhere. A code
typed for /status or /withdraw only ever travels in an action, never in the state; the
report's token (opaque, sealed by the channel under a key that lives in memory only)
stays in the state for the rest of the visit, so the code is typed once per visit.
Every turn offers a way on: a button, or (while typed words are awaited) typing.
Bad input (a stale button, forged data, oversize text, a photo) gets a kind reply and
leaves the state exactly as it was.

This module handles commands, buttons and free text while a report is drafted;
`after_filing` what comes after (status, reply, withdraw, and their results);
`engine_base` what both use (the question owed now, returning to an open draft).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dialogues.after_filing import AfterFiling
from dialogues.answers import Answers
from dialogues.checks import check_context, check_texts
from dialogues.elsewhere import Elsewhere
from dialogues.engine_base import IDLE_STEPS, INTENT_COMMANDS, forget_empty, in_draft
from dialogues.flow import FLOW_FILE, Step, load_flow
from dialogues.followup import FollowUp
from dialogues.intents import IntentMatcher
from dialogues.keys import COMMANDS
from dialogues.questions import Questions
from dialogues.repair import repair
from dialogues.state import FEEDBACK_MENUS, State
from dialogues.summary import Summary, check_draft_steps, draft_of
from dialogues.texts import LOCALES, Texts, lang_from_hint, load_texts
from dialogues.typed import Typed
from dialogues.types import (
    Attachment,
    Command,
    DrawReceipt,
    EraseChat,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    Submit,
    Text,
)
from vocabulary import format_receipt

AFTER_FILING = ("erase", "keep")  # the buttons under "filed"
# Screens after filing that any command closes (and /stop cancels).
FOLLOW_UP_MENUS = ("status", "withdraw", *FEEDBACK_MENUS)
# Buttons that work with no stored state at all: those under "filed", and the two ways
# on that an idle chat offers (an idle state is not kept).
STATELESS = (*AFTER_FILING, "go.report", "go.status")


class Engine(AfterFiling):
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
                return self._after_filing_press(fresh, inp.value)
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
            outcome = self._attachment(current, inp)
        else:
            outcome = Outcome(
                current, (self._say(current, "unsupported_media"), *self._prompt(current))
            )
        if outcome.state is not None:
            outcome = replace(outcome, state=replace(outcome.state, can_push=can_push).tidy())
        return forget_empty(state, self._way_on(outcome, current.lang))

    def receipt_drawn(self, state: State, code: str, *, push: bool, again: bool = False) -> Outcome:
        """After DrawReceipt: the code on screen, to be saved before the report is sent.
        `again`: the previous code turned out to be taken, this is a new one."""
        screen = state.advance(step="summary", menu="receipt", receipt=code, push=push)
        first = (self._say(screen, "receipt_taken"),) if again else ()
        return Outcome(screen, (*first, self.receipt_screen(screen)))

    def receipt_screen(self, state: State) -> Reply:
        text = self.texts(state.lang).get("receipt", code=format_receipt(state.receipt))
        rows = (
            (self.q.button(state, "btn_receipt_saved", "receipt.saved"),),
            (self.q.button(state, "btn_receipt_back", "receipt.back"),),
        )
        return Reply("receipt", text, rows, protect=True)

    def submitted(self, state: State, *, reference: str) -> Outcome:
        """Filed: nothing of the conversation is kept (state None). The erase and keep
        buttons need no state: `handle` accepts them when none is stored."""
        after = State.new(state.lang)
        # The reference is the advisers' name for the report; students keep their code,
        # so the reference is not shown here, where it could be written down instead.
        text = self.texts(after.lang).get("filed")
        rows = (
            (self.q.button(after, "btn_erase", "erase"),),
            (self.q.button(after, "btn_keep", "keep"),),
        )
        filed = Reply("filed", text, rows, protect=True)
        # Where else to go comes first, so "filed" and its buttons end the chat on screen
        # (and "erase" reaches every message up to the one it is under).
        return Outcome(None, (self.elsewhere.reply(state), filed))

    def failure(self, state: State | None, *, key: str = "error_try_again") -> Outcome:
        current = State.new() if state is None else state
        if not self.texts(current.lang).has(key):
            key = "error_try_again"
        said = Outcome(state, (self._say(current, key), *self.reprompt(current)))
        return self._way_on(said, current.lang)

    def stale(self, state: State | None) -> Outcome:
        current = State.new() if state is None else state
        return Outcome(state, (self._say(current, "button_stale"), *self._prompt(current)))

    def way_on(self, outcome: Outcome, lang: str = "nl") -> Outcome:
        """For the channel's own results: the same no-dead-end rule as every turn."""
        return self._way_on(outcome, lang)

    # --- commands ----------------------------------------------------------------------

    def _command(self, state: State, name: str, arg: str = "") -> Outcome:
        if name not in COMMANDS:  # bad input changes nothing, not even an open reply
            return Outcome(state, (self._say(state, "unknown_command"), *self.reprompt(state)))
        if name == "stop" and (state.expecting or state.menu in FOLLOW_UP_MENUS):
            return self._cancel(state)
        if name == "stop" and state.token and not in_draft(state):
            return self._lock(state)
        # Any command ends typing a code or a reply. /help and /privacy leave a status
        # view open; /withdraw with a report open for this visit withdraws that report.
        follow_up = state.menu in (*FOLLOW_UP_MENUS, "pause")
        keeps_view = follow_up and name in ("help", "privacy")
        menu = "" if follow_up and not keeps_view else state.menu
        # /help while writing feedback: the feedback question stays, still waiting for it
        expecting = "feedback" if keeps_view and state.menu == "feedback_text" else ""
        # the feedback screens' token opens nothing else: it goes when they close
        token = "" if state.menu in FEEDBACK_MENUS and not keeps_view else state.token
        state = replace(state, expecting=expecting, menu=menu, token=token)
        if name in ("start", "report"):
            return self._begin(state, welcome=name == "start")
        if name == "status":
            return self._status(state, arg)
        if name == "withdraw":
            return self._ask_withdraw(state)
        if name == "help":
            told = (self._say(state, name), self.elsewhere.reply(state))
            return Outcome(state, (*told, *self.reprompt(state)))
        if name == "privacy":
            return Outcome(state, (self._say(state, name), *self.reprompt(state)))
        if name == "language":
            picking = state.advance(menu="language")
            return Outcome(picking, (self.q.language_picker(picking),))
        if name == "stop":
            if in_draft(state):
                return Outcome(None, (self._say(state, "stopped"),))
            return Outcome(state, (self._say(state, "nothing_to_stop"),))
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
            return self._cancel(state)
        if value == "pause.on":  # "I want to go on": the question that waited
            going_on = state.advance()
            return Outcome(going_on, self.reprompt(going_on))
        state = replace(state, expecting="")
        if group == "lang" and rest:
            return self._switch_language(state, rest)
        if value == "privacy":
            return Outcome(state, (self._say(state, "privacy"), *self.reprompt(state)))
        if group == "resume":
            return self._resume(state, rest)
        if group == "guess":
            return self._guess_press(state, rest)
        if group == "go":
            return self._begin(state, welcome=True) if rest == "report" else self._status(state, "")
        if group == "status":
            return self._status_press(state, rest)
        if group == "withdraw":
            return self._withdraw_press(state, rest)
        if group == "feedback":
            return self._feedback_press(state, rest)
        if value in AFTER_FILING:
            return self._after_filing_press(state, value)
        if group == "receipt":
            return self._receipt_press(state, rest)
        if state.step == "summary":
            return self._summary_press(state, value)
        if state.step == "edit":
            if value == "back":
                return self.answers.enter(state, "summary")
            if value == "add.story":
                return self.answers.add_to_story(state)
            return self.answers.enter(replace(state, editing=True), value.removeprefix("edit."))
        if value == "back":
            return self.answers.cancel_edit(state)
        step = self.flow.step(state.step)
        if step is None:  # only a flow step offers anything else
            return self.stale(state)
        return self._step_press(state, step, value)

    def _after_filing_press(self, state: State, value: str) -> Outcome:
        """The buttons under "filed": they work with no stored conversation at all."""
        if value == "erase":  # the channel says it is deleted; then the ways on
            return Outcome(None, (self.q.idle_help(state),), EraseChat())
        kept = self._say(state, "kept")
        return Outcome(None, (replace(kept, buttons=self.q.idle_help(state).buttons),))

    def _receipt_press(self, state: State, choice: str) -> Outcome:
        if choice == "saved" and state.receipt:
            draft = draft_of(state, self.q)
            return Outcome(state, (), Submit(draft, push=state.push, receipt=state.receipt))
        back = state.advance(step="summary", receipt="", push=False)
        return Outcome(back, (self.summary.render(back),))

    def _offered(self, state: State) -> set[str]:
        """The values of the buttons drawn for this state: nothing else is accepted."""
        values = {b.value for r in self._prompt(state) for row in r.buttons for b in row}
        if state.step == "done":
            values |= {"erase", "keep"}
        if state.awaiting_code:  # the question above the code prompt still answers
            values |= {
                b.value
                for r in self.reprompt(replace(state, expecting=""))
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
        return Outcome(new, self.reprompt(new) or (self._say(new, "language_set"),))

    def _resume(self, state: State, choice: str) -> Outcome:
        if choice == "restart":
            fresh = State(lang=state.lang, turn=state.turn, can_push=state.can_push)
            return self._begin(fresh, welcome=True)
        going_on = state.advance(menu="receipt" if state.receipt else "")
        return Outcome(going_on, self.reprompt(going_on))

    def _summary_press(self, state: State, value: str) -> Outcome:
        if value in ("submit", "submit.push"):
            return Outcome(state, (), DrawReceipt(push=value == "submit.push"))
        if value == "edit":
            menu = state.advance(step="edit")
            return Outcome(menu, (self.summary.edit_menu(menu),))
        return self._command(state, "stop")

    def _step_press(self, state: State, step: Step, value: str) -> Outcome:
        if step.kind == "choice" and value != "skip":
            return self.answers.choose(state, step, value)
        if step.kind == "multi":
            if value == "next":
                return self.answers.finish_multi(state, step)
            return self.answers.toggle(state, step, value)
        if step.kind == "story":
            return self.answers.finish_story(state, step, "" if value == "done" else value)
        if value == "skip":
            return self.answers.skip(state, step)
        return self.answers.pick(state, step, value)

    # --- free text ---------------------------------------------------------------------

    def _text(self, state: State, text: str, *, fresh: bool) -> Outcome:
        if state.expecting == "reply":
            return self._reply_text(state, text)
        if state.expecting == "feedback":
            return self._feedback_text(state, text)
        if state.awaiting_code:
            return self._code_text(state, text)
        typed = self._typed_button(state, text)
        if typed is not None:
            return self._press(state, Press(state.turn, typed))
        if state.menu == "pause":  # the next question waits for "I want to go on"
            return Outcome(state, (self._say(state, "use_buttons"), *self.reprompt(state)))
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
        return Outcome(state, (self._say(state, "use_buttons"), *self.reprompt(state)))

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
        return Outcome(back, (self._say(back, "guess_declined"), *self.reprompt(back)))

    def _typed_button(self, state: State, text: str) -> str | None:
        """A student who types a button's label ("nee") or a synonym ("klopt") means it."""
        buttons = [b for r in self._prompt(state) for row in r.buttons for b in row]
        return self.typed.button(state, buttons, text)
