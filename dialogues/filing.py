"""Sending a report: the receipt code shown before anything is filed, filing under it,
and the two buttons under "filed".

The channel draws the code (`DrawReceipt` → `receipt_drawn`); the state keeps it while
the receipt screen is open (so a crash before filing shows the same code again), and
"I have saved it" files the report under it (`Submit` → `submitted`). That state lives
in the draft, sealed with a key the channel shreds when the report is filed, so the
code survives nowhere.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.elsewhere import Elsewhere
from dialogues.questions import Questions
from dialogues.screens import Screens
from dialogues.state import State
from dialogues.summary import Summary, draft_of
from dialogues.types import EraseChat, Outcome, Reply, Submit

AFTER_FILING = ("erase", "keep")  # the buttons under "filed"


class Filing:
    def __init__(
        self, questions: Questions, summary: Summary, elsewhere: Elsewhere, screens: Screens
    ) -> None:
        self.q = questions
        self.summary = summary
        self.elsewhere = elsewhere
        self.screens = screens

    def receipt_drawn(self, state: State, code: str, *, push: bool, again: bool = False) -> Outcome:
        """After DrawReceipt: the code on screen, to be saved before the report is sent.
        `again`: the previous code turned out to be taken, this is a new one."""
        screen = state.advance(step="summary", menu="receipt", receipt=code, push=push)
        first = (self.screens.say(screen, "receipt_taken"),) if again else ()
        return Outcome(screen, (*first, self.screens.receipt(screen)))

    def receipt_press(self, state: State, choice: str) -> Outcome:
        """ "I have saved it" files the report; "back" returns to the summary, code gone."""
        if choice == "saved" and state.receipt:
            draft = draft_of(state, self.q)
            return Outcome(state, (), Submit(draft, push=state.push, receipt=state.receipt))
        back = state.advance(step="summary", receipt="", push=False)
        return Outcome(back, (self.summary.render(back),))

    def submitted(self, state: State) -> Outcome:
        """Filed: nothing of the conversation is kept (state None). The erase and keep
        buttons need no state: the engine accepts them when none is stored."""
        after = State.new(state.lang)
        # The reference is the advisers' name for the report; students keep their code,
        # so the reference is not shown here, where it could be written down instead.
        text = self.q.t(after).get("filed")
        rows = (
            (self.q.button(after, "btn_erase", "erase"),),
            (self.q.button(after, "btn_keep", "keep"),),
        )
        filed = Reply("filed", text, rows, protect=True)
        # Where else to go comes first, so "filed" and its buttons end the chat on screen
        # (and "erase" reaches every message up to the one it is under).
        return Outcome(None, (self.elsewhere.reply(state), filed))

    def filed_press(self, state: State, value: str) -> Outcome:
        """The buttons under "filed": they work with no stored conversation at all."""
        if value == "erase":  # the channel says it is deleted; then the ways on
            return Outcome(None, (self.q.idle_help(state),), EraseChat())
        kept = self.screens.say(state, "kept")
        return Outcome(None, (replace(kept, buttons=self.q.idle_help(state).buttons),))
