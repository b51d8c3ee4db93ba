"""After a closed report's status: the student's evaluation of the follow-up.

Asked once, only when the channel's status result carries a `feedback_token` (the
report is closed and not evaluated yet), and only when no draft is open. Three
optional screens: a score from 1 to 5, what could be better (one message), and — only
when something was written — whether it may be quoted anonymously. Everything goes out
in one `GiveEvaluation` action at the end; until then the state holds the token, the
score and (for the one question after it) the text, in the sealed draft that is
shredded when the conversation ends. Skipping both questions is an answer too (saved
as "declined", so the next /status does not ask again). The screens themselves are
drawn by `FollowUp.evaluation_prompt`.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.screens import Screens, in_draft
from dialogues.state import FEEDBACK_MENUS, State
from dialogues.status_screens import FollowUp
from dialogues.types import (
    EvaluationResult,
    GiveEvaluation,
    Outcome,
    Reply,
    StatusFound,
)
from vocabulary import EVALUATION_MAX_TEXT

RESULT_KEYS = {"saved": "feedback_thanks", "already": "feedback_already"}


class Evaluation:
    def __init__(self, followup: FollowUp, screens: Screens) -> None:
        self.followup = followup
        self.screens = screens

    def due(self, state: State | None, result: StatusFound) -> bool:
        """Whether this status asks for an evaluation: closed, none given, no draft open."""
        return bool(result.feedback_token) and (state is None or not in_draft(state))

    def ask(self, state: State, result: StatusFound) -> Outcome:
        """The status (its buttons give way to the question below), then the score."""
        shown = self.followup.status(replace(state, menu="status", token=""), result)
        status = Reply(shown.key, shown.text, (), shown.protect)
        asking = state.advance(
            menu="feedback", expecting="", token=result.feedback_token, feedback_score=0
        )
        return Outcome(asking, (status, self.followup.evaluation_prompt(asking)))

    def press(self, state: State, choice: str) -> Outcome:
        if state.menu == "feedback":
            score = int(choice) if choice.isdigit() else 0  # only offered values get here
            writing = state.advance(
                menu="feedback_text", expecting="feedback", feedback_score=score
            )
            return Outcome(writing, (self.followup.evaluation_prompt(writing),))
        if state.menu == "feedback_text":  # skip: nothing written, nothing to quote
            return _give(state, "", quote=False)
        return _give(state, state.feedback_text, quote=choice == "quote")

    def text(self, state: State, text: str) -> Outcome:
        """Everything typed here is the answer: no intents, no typed buttons."""
        clean = text.strip()
        if not clean:
            return Outcome(state, (self.followup.evaluation_prompt(state),))
        if len(clean) > EVALUATION_MAX_TEXT:
            too_long = self.screens.say(state, "text_too_long", limit=EVALUATION_MAX_TEXT)
            return Outcome(state, (too_long,))
        asking = state.advance(menu="feedback_quote", expecting="", feedback_text=clean)
        return Outcome(asking, (self.followup.evaluation_prompt(asking),))

    def result(self, state: State | None, result: EvaluationResult) -> Outcome:
        """After GiveEvaluation. Failed: the same question again, nothing lost; otherwise
        the evaluation screens close and the token and answers are gone."""
        current = State.new() if state is None else state
        if result == "failed":
            again = (self.screens.say(current, "error_try_again"), *self.screens.owed(current))
            return Outcome(current, again)
        done = current.advance(expecting="", token="", feedback_score=0, feedback_text="")
        reply = self.screens.say(done, RESULT_KEYS.get(result, "feedback_expired"))
        return self.screens.then_draft(state, done, reply)

    def cancel(self, state: State) -> Outcome:
        """/stop while evaluating: nothing is saved; the next /status asks again."""
        closed = state.advance(expecting="", token="", feedback_score=0, feedback_text="")
        said = self.screens.say(state, "feedback_cancelled")
        return Outcome(closed, (said, *self.screens.owed(closed)))


def evaluating(state: State) -> bool:
    """Whether one of the evaluation screens is open."""
    return state.menu in FEEDBACK_MENUS


def _give(state: State, text: str, *, quote: bool) -> Outcome:
    action = GiveEvaluation(state.token, state.feedback_score, text, quote and bool(text))
    return Outcome(state, (), action)
