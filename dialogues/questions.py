"""Turns a step into the message that asks it: text and buttons, in the student's language."""

from __future__ import annotations

from html import escape

from dialogues.flow import Flow, Step
from dialogues.state import State
from dialogues.texts import Texts
from dialogues.types import Button, FlowContext, Reply

CHECK = "✓ "
OTHER_LANG = {"nl": "en", "en": "nl"}


class Questions:
    def __init__(self, flow: Flow, texts: dict[str, Texts], context: FlowContext) -> None:
        self.flow = flow
        self.texts = texts
        self.context = context

    def t(self, state: State) -> Texts:
        return self.texts.get(state.lang, self.texts["nl"])

    def options(self, step: Step) -> tuple[str, ...]:
        if step.options_from == "schools":
            return (*(org_id for org_id, _ in self.context.schools), "none")
        if step.options_from == "visibility":
            return self.context.visibility
        return step.options

    def label(self, state: State, step: Step, value: str, *, on_button: bool = False) -> str:
        t = self.t(state)
        if step.options_from == "schools" and value != "none":
            return dict(self.context.schools)[value]
        text = t.get(f"opt_{step.id}_{value}")
        if on_button and step.options_from == "visibility" and value == self.context.visibility[0]:
            text = f"{text} {t.get('recommended')}"
        return text

    def ask(self, state: State, *, welcome: bool = False) -> Reply:
        step = self.flow.step(state.step or "")
        assert step is not None, state.step
        t = self.t(state)
        if step.kind == "multi":
            return self._multi(state, step)
        if step.kind == "story":
            return self._story(state)
        if step.kind == "text":
            rows = ((self.button(state, "btn_skip", "skip"),),) if step.optional else ()
            return Reply(f"ask_{step.id}", t.get(f"ask_{step.id}"), rows)
        return self._choice(state, step, welcome=welcome)

    def button(self, state: State, key: str, value: str) -> Button:
        return Button(self.t(state).get(key), value, state.turn)

    def _choice(self, state: State, step: Step, *, welcome: bool) -> Reply:
        t = self.t(state)
        buttons = [
            Button(self.label(state, step, v, on_button=True), v, state.turn)
            for v in self.options(step)
        ]
        short = all(len(b.label) <= 14 for b in buttons)
        rows = (tuple(buttons),) if short and len(buttons) <= 3 else tuple((b,) for b in buttons)
        if welcome:
            return self._welcome(state, rows)
        return Reply(f"ask_{step.id}", t.get(f"ask_{step.id}"), rows)

    def _welcome(self, state: State, rows: tuple[tuple[Button, ...], ...]) -> Reply:
        t = self.t(state)
        other = OTHER_LANG[state.lang]
        extra = (
            self.button(state, "btn_privacy", "privacy"),
            Button(t.get(f"lang_name_{other}"), f"lang.{other}", state.turn),
        )
        text = f"{t.get('welcome')}\n\n{t.get('ask_safety')}"
        return Reply("welcome", text, (*rows, extra))

    def _multi(self, state: State, step: Step) -> Reply:
        buttons = [
            Button(
                (CHECK if v in state.selected else "") + self.label(state, step, v), v, state.turn
            )
            for v in self.options(step)
        ]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        done = (self.button(state, "btn_next", "next"),)
        return Reply(f"ask_{step.id}", self.t(state).get(f"ask_{step.id}"), (*rows, done))

    def _story(self, state: State) -> Reply:
        t = self.t(state)
        if not state.story:
            return Reply("ask_story", t.get("ask_story"))
        done = ((self.button(state, "btn_done", "done"),),)
        return Reply("story_more", t.get("story_more"), done)

    def language_picker(self, state: State) -> Reply:
        t = self.t(state)
        row = tuple(
            Button(t.get(f"lang_name_{lang}"), f"lang.{lang}", state.turn) for lang in ("nl", "en")
        )
        return Reply("ask_language", t.get("ask_language"), (row,))


def quote(text: str) -> str:
    return escape(text, quote=False)
