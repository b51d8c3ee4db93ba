"""After a closed report's status: the student's feedback on the follow-up (issue 12).

Asked once, only when the channel's status result carries a `feedback_token` (the
report is closed and no feedback was given yet), and only when no draft is open. Three
optional screens: a score from 1 to 5, what could be better (one message), and — only
when something was written — whether it may be quoted anonymously. Everything goes out
in one `GiveFeedback` action at the end; until then the state holds the token, the
score and (for the one question after it) the text, in the sealed draft that is
shredded when the conversation ends. Skipping both questions is an answer too (saved
as "declined", so the next /status does not ask again).
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.engine_base import EngineBase, in_draft
from dialogues.state import FEEDBACK_MENUS, State
from dialogues.types import (
    FeedbackResult,
    GiveFeedback,
    Outcome,
    Reply,
    StatusFound,
)
from vocabulary import FEEDBACK_MAX_TEXT, FEEDBACK_SCORES

RESULT_KEYS = {"saved": "feedback_thanks", "already": "feedback_already"}


class AsksFeedback(EngineBase):
    def _asks_feedback(self, state: State | None, result: StatusFound) -> bool:
        return bool(result.feedback_token) and (state is None or not in_draft(state))

    def _ask_feedback(self, state: State, result: StatusFound) -> Outcome:
        """The status (its buttons give way to the question below), then the score."""
        shown = self.followup.status(replace(state, menu="status", token=""), result)
        status = Reply(shown.key, shown.text, (), shown.protect)
        asking = state.advance(
            menu="feedback", expecting="", token=result.feedback_token, feedback_score=0
        )
        return Outcome(asking, (status, self.feedback_prompt(asking)))

    def feedback_prompt(self, state: State) -> Reply:
        """The feedback question on screen now (also drawn again after a stale press)."""
        t = self.q.t(state)
        skip = (self.q.button(state, "btn_skip", "feedback.skip"),)
        if state.menu == "feedback_text":
            text = t.get("feedback_ask_text", limit=FEEDBACK_MAX_TEXT)
            return Reply("feedback_ask_text", text, (skip,))
        if state.menu == "feedback_quote":
            rows = (
                (self.q.button(state, "btn_feedback_quote", "feedback.quote"),),
                (self.q.button(state, "btn_feedback_private", "feedback.private"),),
            )
            return Reply("feedback_ask_quote", t.get("feedback_ask_quote"), rows)
        scores = tuple(
            self.q.button(state, f"btn_feedback_score_{n}", f"feedback.{n}")
            for n in FEEDBACK_SCORES
        )
        return Reply("feedback_ask_score", t.get("feedback_ask_score"), (scores, skip))

    def _feedback_press(self, state: State, choice: str) -> Outcome:
        if state.menu == "feedback":
            score = int(choice) if choice.isdigit() else 0  # only offered values get here
            writing = state.advance(
                menu="feedback_text", expecting="feedback", feedback_score=score
            )
            return Outcome(writing, (self.feedback_prompt(writing),))
        if state.menu == "feedback_text":  # skip: nothing written, nothing to quote
            return self._give(state, "", quote=False)
        return self._give(state, state.feedback_text, quote=choice == "quote")

    def _feedback_text(self, state: State, text: str) -> Outcome:
        """Everything typed here is the answer: no intents, no typed buttons."""
        clean = text.strip()
        if not clean:
            return Outcome(state, (self.feedback_prompt(state),))
        if len(clean) > FEEDBACK_MAX_TEXT:
            return Outcome(state, (self._say(state, "text_too_long", limit=FEEDBACK_MAX_TEXT),))
        asking = state.advance(menu="feedback_quote", expecting="", feedback_text=clean)
        return Outcome(asking, (self.feedback_prompt(asking),))

    def _give(self, state: State, text: str, *, quote: bool) -> Outcome:
        action = GiveFeedback(state.token, state.feedback_score, text, quote and bool(text))
        return Outcome(state, (), action)

    def feedback_result(self, state: State | None, result: FeedbackResult) -> Outcome:
        """After GiveFeedback. Failed: the same question again, nothing lost; otherwise
        the feedback screens close and the token and answers are gone."""
        current = State.new() if state is None else state
        if result == "failed":
            return Outcome(
                current, (self._say(current, "error_try_again"), *self.reprompt(current))
            )
        done = current.advance(expecting="", token="", feedback_score=0, feedback_text="")
        reply = self._say(done, RESULT_KEYS.get(result, "feedback_expired"))
        return self._then_draft(state, done, reply)

    def _feedback_cancel(self, state: State) -> Outcome:
        """/stop while giving feedback: nothing is saved; the next /status asks again."""
        closed = state.advance(expecting="", token="", feedback_score=0, feedback_text="")
        return Outcome(closed, (self._say(state, "feedback_cancelled"), *self.reprompt(closed)))


def giving_feedback(state: State) -> bool:
    return state.menu in FEEDBACK_MENUS
