"""What the student has on screen: the question they owe an answer to now, the way on
that every turn leaves, and how a follow-up answer returns to an open draft.

Every part of the engine draws through one `Screens`, so "what is owed now" has one
answer wherever a turn ends.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.flow import Flow
from dialogues.questions import Questions
from dialogues.state import FEEDBACK_MENUS, State
from dialogues.status_screens import FollowUp
from dialogues.summary import Summary
from dialogues.typed import Typed
from dialogues.types import Outcome, Reply
from vocabulary import format_receipt

IDLE_STEPS = (None, "done")


class Screens:
    def __init__(
        self,
        flow: Flow,
        questions: Questions,
        summary: Summary,
        followup: FollowUp,
        typed: Typed,
    ) -> None:
        self.flow = flow
        self.q = questions
        self.summary = summary
        self.followup = followup
        self.typed = typed

    def owed(self, state: State) -> tuple[Reply, ...]:
        """The question the student owes an answer to now; nothing when idle."""
        if state.expecting == "reply":
            return (self.followup.reply_prompt(state),)
        if state.awaiting_code:
            key = "ask_code" if state.expecting == "code" else "withdraw_ask_code"
            return (self.followup.code_prompt(state, key),)
        if state.menu == "pause":
            return (self.q.pause_prompt(state, "pause_waiting"),)
        if state.menu == "resume":
            return (self.q.resume_prompt(state),)
        if state.menu == "language":
            return (self.q.language_picker(state),)
        if state.menu == "withdraw":
            return (self.followup.withdraw_prompt(state),)
        if state.menu == "confirm" and state.guess:
            return (self.typed.confirm(state),)
        if state.menu in FEEDBACK_MENUS:
            return (self.followup.evaluation_prompt(state),)
        if state.menu == "status":  # only the report, until the student asks for more
            return (self.followup.actions(state),)
        if state.menu == "receipt" and state.receipt:
            return (self.receipt(state),)
        if state.step == "summary":
            return (self.summary.render(state),)
        if state.step == "edit":
            return (self.summary.edit_menu(state),)
        if self.flow.step(state.step) is not None:
            return (self.q.ask(state),)
        return ()

    def prompt(self, state: State) -> tuple[Reply, ...]:
        """What to show after a reply that needs something to tap: the question, or when
        idle the two things one can start."""
        return self.owed(state) or (self.q.idle_help(state),)

    def say(self, state: State, key: str, **values: object) -> Reply:
        return self.q.say(state, key, **values)

    def receipt(self, state: State) -> Reply:
        """The receipt code, to be saved before the report is sent."""
        text = self.q.t(state).get("receipt", code=format_receipt(state.receipt))
        rows = (
            (self.q.button(state, "btn_receipt_saved", "receipt.saved"),),
            (self.q.button(state, "btn_receipt_back", "receipt.back"),),
        )
        return Reply("receipt", text, rows, protect=True)

    def then_draft(self, before: State | None, state: State, reply: Reply) -> Outcome:
        """A follow-up answer, then (with a draft open) where the student was in it. A
        draft with nothing in it yet (the welcome a returning student saw) is dropped:
        they came to check their report, not to be asked the first question again."""
        state = self.without_empty_draft(state).tidy()
        if not in_draft(state):
            return forget_empty(before, self.way_on(Outcome(state, (reply,))))
        return Outcome(state, (reply, self.say(state, "still_open"), *self.owed(state)))

    def without_empty_draft(self, state: State) -> State:
        """The welcome's first question with nothing answered is no draft to keep."""
        untouched = not (state.answers or state.story or state.selected or state.rewrite)
        if untouched and state.step == self.flow.steps[0].id and not state.receipt:
            return replace(state, step=None, editing=False)
        return state

    def way_on(self, outcome: Outcome, lang: str = "nl") -> Outcome:
        """No dead ends: a turn that leaves nothing to tap gets the question owed again,
        or when idle its last message gets the buttons of the two things one can start
        ("make a report", "check my report"). A turn waiting for typed words (a story,
        a code, a reply) needs none: typing is the way on."""
        if outcome.action is not None or any(r.buttons for r in outcome.replies):
            return outcome
        state = outcome.state if outcome.state is not None else State.new(lang)
        if self._waits_for_typing(state):
            return outcome
        owed = self.owed(state)
        if owed:
            return replace(outcome, replies=(*outcome.replies, *owed))
        if not outcome.replies:
            return replace(outcome, replies=(self.q.idle_help(state),))
        *before, last = outcome.replies  # idle: the last message gets the two ways on
        rows = self.q.idle_help(state).buttons
        return replace(outcome, replies=(*before, replace(last, buttons=rows)))

    def _waits_for_typing(self, state: State) -> bool:
        if state.expecting or state.menu:
            return bool(state.expecting)
        step = self.flow.step(state.step)
        return step is not None and step.kind in ("story", "text")


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
