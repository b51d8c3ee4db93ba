"""What a typed message means when buttons are on screen: which button, a guess to confirm,
or nothing.

The options a step's buttons stand for are matched tolerantly (`matching`): the label
in the student's language, synonyms from the locale files (`syn_<step>_<value>`), the
other language's label and synonyms, and for schools the name and id from the config.
Any other buttons (the summary, "continue or start over?", "did you mean?") take only
their label or a synonym (`syn_<value>` with dots as underscores, e.g. `syn_guess_yes`):
a guess at "submit" or "start over" would be a guess too many.
"""

from __future__ import annotations

import re
from html import escape

from dialogues.flow import Step
from dialogues.matching import Match, Option, match_option, split_synonyms
from dialogues.questions import OTHER_LANG, Questions
from dialogues.state import State
from dialogues.types import Button, Reply

# "afkomst en geloof", "origin, religion": several grounds in one message.
_SEPARATORS = re.compile(r",|;|\+|&|/|\ben\b|\band\b|\bof\b|\bor\b", re.IGNORECASE)
MATCHED_KINDS = ("choice", "multi")


class Typed:
    def __init__(self, questions: Questions) -> None:
        self.q = questions

    def synonyms(self, lang: str, key: str) -> tuple[str, ...]:
        texts = self.q.texts.get(lang)
        if texts is None or key not in texts.table:  # no fallback: each language its own
            return ()
        return split_synonyms(texts.table[key])

    def button(self, state: State, buttons: list[Button], text: str) -> str | None:
        """A button's label or synonym typed exactly ("nee", "klopt" for Yes)."""
        options = []
        for b in buttons:
            key = f"syn_{b.value.replace('.', '_')}"
            options.append(Option(b.value, b.label, self._both(state, key)))
        found = match_option(text, options, loose=False)
        return found.value if found is not None else None

    def answer(self, state: State, step: Step, text: str) -> tuple[Match, ...]:
        """The option(s) a typed answer to a choice or multi step names. Several only on a
        multi step, and only when every part is sure ("afkomst en geloof")."""
        if step.kind not in MATCHED_KINDS:
            return ()
        options = self.options(state, step)
        whole = match_option(text, options)
        if whole is not None or step.kind != "multi":
            return (whole,) if whole is not None else ()
        parts = [p for p in _SEPARATORS.split(text) if p.strip()]
        if len(parts) < 2:
            return ()
        found = [match_option(p, options) for p in parts]
        sure = [m for m in found if m is not None and m.sure]
        if len(sure) != len(parts):
            return ()
        return tuple({m.value: m for m in sure}.values())

    def options(self, state: State, step: Step) -> list[Option]:
        other = State.new(OTHER_LANG[state.lang])
        out = []
        for value in self.q.options(step):
            label = self.q.label(state, step, value)
            key = f"syn_{step.id}_{value}"
            extra = [*self._both(state, key), self.q.label(other, step, value)]
            if step.options_from == "schools" and value != "none":
                extra.append(value)  # the id is the short name: "hhs", "mondriaan"
                extra.extend(self.q.aliases(value))
            out.append(Option(value, label, tuple(dict.fromkeys(extra))))
        return out

    def _both(self, state: State, key: str) -> tuple[str, ...]:
        return (*self.synonyms(state.lang, key), *self.synonyms(OTHER_LANG[state.lang], key))

    def confirm(self, state: State) -> Reply:
        """ "Did you mean X?" with Yes and No; the guess itself waits in the state."""
        step = self.q.flow.step(state.step)
        if step is None:
            raise ValueError(f"no question to confirm at {state.step!r}")
        label = escape(self.q.label(state, step, state.guess), quote=False)
        row = (
            self.q.button(state, "btn_guess_yes", "guess.yes"),
            self.q.button(state, "btn_guess_no", "guess.no"),
        )
        return Reply("confirm_guess", self.q.t(state).get("confirm_guess", label=label), (row,))
