"""What every part of the engine shares: the parts it is built of, the question the
student owes an answer to now, and how a follow-up answer returns to an open draft.

`Engine` (engine.py) is built on `AfterFiling` (after_filing.py), built on this.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.answers import Answers
from dialogues.flow import Flow
from dialogues.followup import FollowUp
from dialogues.intents import IntentMatcher
from dialogues.questions import Questions
from dialogues.state import FEEDBACK_MENUS, State
from dialogues.summary import Summary
from dialogues.texts import Texts
from dialogues.typed import Typed
from dialogues.types import Outcome, Reply

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


class EngineBase:
    """The parts `Engine.__init__` puts together, named here so each module of the
    engine can use them."""

    flow: Flow
    q: Questions
    summary: Summary
    answers: Answers
    followup: FollowUp
    intents: IntentMatcher
    typed: Typed
    _texts: dict[str, Texts]

    def _command(self, state: State, name: str, arg: str = "") -> Outcome:
        """A command, typed or meant by an intent: `Engine`'s."""
        raise NotImplementedError

    def feedback_prompt(self, state: State) -> Reply:
        """The feedback question on screen: `AsksFeedback`'s."""
        raise NotImplementedError

    def receipt_screen(self, state: State) -> Reply:
        """The receipt code, to be saved before sending: `Engine`'s."""
        raise NotImplementedError

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
        if state.menu == "confirm" and state.guess:
            return (self.typed.confirm(state),)
        if state.menu in FEEDBACK_MENUS:
            return (self.feedback_prompt(state),)
        if state.menu == "status" and not in_draft(state):
            return (self.followup.actions(state),)
        if state.menu == "receipt" and state.receipt:
            return (self.receipt_screen(state),)
        if state.step == "summary":
            return (self.summary.render(state),)
        if state.step == "edit":
            return (self.summary.edit_menu(state),)
        if self.flow.step(state.step) is not None:
            return (self.q.ask(state),)
        return ()

    def _prompt(self, state: State) -> tuple[Reply, ...]:
        """What to show after a reply that needs something to tap: the question, or when
        idle the two things one can start."""
        return self.reprompt(state) or (self.q.idle_help(state),)

    def _say(self, state: State, key: str, **values: object) -> Reply:
        return self.q.say(state, key, **values)

    def _then_draft(self, before: State | None, state: State, reply: Reply) -> Outcome:
        """A follow-up answer, then (with a draft open) where the student was in it."""
        state = state.tidy()
        if not in_draft(state):
            return forget_empty(before, Outcome(state, (reply,)))
        return Outcome(state, (reply, self._say(state, "still_open"), *self.reprompt(state)))


def in_draft(state: State) -> bool:
    return state.step not in IDLE_STEPS


def forget_empty(before: State | None, outcome: Outcome) -> Outcome:
    """A first message that starts nothing (/help, a photo) leaves no state behind."""
    after = outcome.state
    if outcome.action is not None or before is not None or after is None:
        return outcome
    if replace(after, can_push=False) == State(lang=after.lang):
        return replace(outcome, state=None)
    return outcome
