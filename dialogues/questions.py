"""Turns a state into the message that asks for its next input: text and buttons, in the
student's language. The buttons drawn here are also the only ones the engine accepts,
so what is shown and what is allowed cannot drift apart."""

from __future__ import annotations

from html import escape

from dialogues.flow import Flow, Step
from dialogues.state import State
from dialogues.texts import Texts
from dialogues.types import Button, FlowContext, Reply

Rows = tuple[tuple[Button, ...], ...]
OTHER_LANG = {"nl": "en", "en": "nl"}
ONE_ROW_MAX = 14  # up to three buttons this short share a row on a phone
LONG_LIST = 6  # a choice with more options than this shows them two to a row


class Questions:
    def __init__(self, flow: Flow, texts: dict[str, Texts], context: FlowContext) -> None:
        self.flow = flow
        self.texts = texts
        self.context = context

    def t(self, state: State) -> Texts:
        return self.texts.get(state.lang, self.texts["nl"])

    def say(self, state: State, key: str, **values: object) -> Reply:
        return Reply(key, self.t(state).get(key, **values))

    def button(self, state: State, key: str, value: str) -> Button:
        return Button(self.t(state).get(key), value, state.turn)

    def options(self, step: Step) -> tuple[str, ...]:
        if step.options_from == "schools":
            return (*(org_id for org_id, _, _ in self.context.schools), "none")
        if step.options_from == "visibility":
            return self.context.visibility
        if step.options_from == "workplaces":
            return tuple(org_id for org_id, _ in self.context.workplaces)
        return step.options

    def label(self, state: State, step: Step, value: str) -> str:
        """Plain text: what a button says, and (escaped) what the summary says."""
        if step.options_from == "schools" and value != "none":
            return {org: name for org, name, _ in self.context.schools}.get(value, value)
        if step.options_from == "workplaces":
            return dict(self.context.workplaces).get(value, value)
        return self.t(state).get(f"opt_{step.id}_{value}", network=self.network(state))

    def network(self, state: State) -> str:
        """The regional network's name ("Alleen Gemeente Den Haag"), or a general word."""
        return self.context.network or self.t(state).get("network_unnamed")

    def aliases(self, org_id: str) -> tuple[str, ...]:
        return dict(self.context.aliases).get(org_id, ())

    def applies(self, step: Step, state: State) -> bool:
        """only_if and school_level: whether this step is asked, given the answers so far."""
        if not all(state.answers.get(k) == v for k, v in step.only_if.items()):
            return False
        if not all(_answered_as(state.answers.get(k), v) for k, v in step.only_if_answer.items()):
            return False
        if step.school_level is None:
            return True
        return self.school_level(state) == step.school_level

    def school_level(self, state: State) -> str | None:
        step = next((s for s in self.flow.steps if s.options_from == "schools"), None)
        chosen = state.answers.get(step.id) if step is not None else None
        return next((lvl for org, _, lvl in self.context.schools if org == chosen), None)

    # --- the current step's question ---------------------------------------------------

    def ask(self, state: State, *, added: bool = False) -> Reply:
        step = self.flow.step(state.step)
        if step is None:
            raise ValueError(f"no question for step {state.step!r}")
        if step.kind == "multi":
            reply = self._multi(state, step)
        elif step.kind == "story":
            reply = self._story(state, added=added)
        elif step.kind == "text":
            reply = self._text(state, step)
        else:
            reply = self._choice(state, step)
        return _with_rows(reply, self._extra_rows(state))

    def welcome(self, state: State) -> Reply:
        """One message: what is stored, who reads it, the receipt, and the safety question."""
        question = self.ask(state)
        text = f"{self.t(state).get('welcome')}\n\n{question.text}"
        return Reply("welcome", text, question.buttons)

    def _extra_rows(self, state: State) -> Rows:
        if state.editing:
            return ((self.button(state, "btn_back", "back"),),)
        if state.menu == "welcome":
            other = OTHER_LANG[state.lang]
            return (
                # a returning student's way in, on the first screen (issue 11)
                (self.button(state, "btn_go_status", "go.status"),),
                (
                    self.button(state, "btn_privacy", "privacy"),
                    self.button(state, f"lang_name_{other}", f"lang.{other}"),
                ),
            )
        return ()

    def _text(self, state: State, step: Step) -> Reply:
        t = self.t(state)
        text = t.get(f"ask_{step.id}")
        shortcuts = tuple(
            (Button(self.label(state, step, v), v, state.turn),) for v in self.options(step)
        )
        if shortcuts:
            text = f"{text}\n{t.get('pick_or_type')}"
        skip = ((self.button(state, "btn_skip", "skip"),),) if step.optional else ()
        return Reply(f"ask_{step.id}", text, (*shortcuts, *skip))

    def _choice(self, state: State, step: Step) -> Reply:
        t = self.t(state)
        options = self.options(step)
        text = t.get(f"ask_{step.id}")
        if step.options_from == "visibility":
            text = "\n".join([text, *self._explanations(state, step, options)])
        skip = ((self.button(state, "btn_skip", "skip"),),) if step.optional else ()
        return Reply(f"ask_{step.id}", text, (*self._choice_rows(state, step), *skip))

    def _choice_rows(self, state: State, step: Step) -> Rows:
        options = self.options(step)
        buttons = [Button(self._choice_label(state, step, v), v, state.turn) for v in options]
        short = all(len(b.label) <= ONE_ROW_MAX for b in buttons) and len(buttons) <= 3
        if short:
            return (tuple(buttons),)
        if len(buttons) > LONG_LIST:  # a long list in pairs, so it fits on a phone's screen
            return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return tuple((b,) for b in buttons)

    def _choice_label(self, state: State, step: Step, value: str) -> str:
        label = self.label(state, step, value)
        if step.options_from == "visibility" and value == self.context.visibility[0]:
            return self.t(state).get("recommended", label=label)
        return label

    def _explanations(self, state: State, step: Step, options: tuple[str, ...]) -> list[str]:
        t = self.t(state)
        return [
            t.get(
                "explain_line",
                label=escape(self._choice_label(state, step, v), quote=False),
                explanation=t.get(f"explain_{step.id}_{v}", network=self.network(state)),
            )
            for v in options
        ]

    def _multi(self, state: State, step: Step) -> Reply:
        t = self.t(state)
        done = (self.button(state, "btn_next", "next"),)
        return Reply(f"ask_{step.id}", t.get(f"ask_{step.id}"), (*self._toggles(state, step), done))

    def _toggles(self, state: State, step: Step) -> Rows:
        t = self.t(state)
        buttons = [
            Button(
                t.get("selected_mark", label=self.label(state, step, v))
                if v in state.selected
                else self.label(state, step, v),
                v,
                state.turn,
            )
            for v in self.options(step)
        ]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    def _story(self, state: State, *, added: bool) -> Reply:
        """After the first part: "more, or done" — and, on the first pass, the question
        that follows with its buttons, so its first tap also ends the story (one tap
        fewer on the shortest way; issue 12 spent it on the sector question)."""
        t = self.t(state)
        parts = state.rewrite if state.editing else state.story
        if not parts:
            key = "story_rewrite" if state.editing else "ask_story"
            return Reply(key, t.get(key))
        key = "story_added" if added else "story_more"
        if state.editing and parts == state.story:  # adding to it, nothing new yet
            key = "story_add"
        done = ((self.button(state, "btn_done", "done"),),)
        then = None if state.editing else self.follows_story(state)
        if then is None:
            return Reply(key, t.get(key), done)
        multi = then.kind == "multi"
        rows = self._toggles(state, then) if multi else self._choice_rows(state, then)
        text = f"{t.get(f'{key}_then')}\n\n{t.get(f'ask_{then.id}')}"
        return Reply(key, text, (*rows, *done))

    def follows_story(self, state: State) -> Step | None:
        """The question asked together with "more, or done?" on the story's first pass:
        the next step that applies and is unanswered, when it is answered by buttons."""
        ids = self.flow.ids()
        story = next((i for i, s in enumerate(self.flow.steps) if s.kind == "story"), len(ids))
        for step in self.flow.steps[story + 1 :]:
            if self.applies(step, state) and step.id not in state.answers:
                return step if step.kind in ("choice", "multi") and self.options(step) else None
        return None

    # --- overlays and idle -------------------------------------------------------------

    def language_picker(self, state: State) -> Reply:
        t = self.t(state)
        row = tuple(
            Button(t.get(f"lang_name_{lang}"), f"lang.{lang}", state.turn) for lang in ("nl", "en")
        )
        return Reply("ask_language", t.get("ask_language"), (row,))

    def pause_prompt(self, state: State, key: str) -> Reply:
        """Help first: the next question waits until the student says they want to go on."""
        row = (self.button(state, "btn_go_on", "pause.on"),)
        return Reply(key, self.t(state).get(key), (row,))

    def resume_prompt(self, state: State) -> Reply:
        rows = (
            (self.button(state, "btn_continue", "resume.continue"),),
            (self.button(state, "btn_restart", "resume.restart"),),
        )
        return Reply("resume_or_restart", self.t(state).get("resume_or_restart"), rows)

    def idle_help(self, state: State) -> Reply:
        row = (
            self.button(state, "btn_go_report", "go.report"),
            self.button(state, "btn_go_status", "go.status"),
        )
        return Reply("idle_help", self.t(state).get("idle_help"), (row,))


def _answered_as(answer: object, kind: str) -> bool:
    """given: a name typed or a workplace picked; typed: a name typed (a pick is (id,))."""
    if kind == "typed":
        return isinstance(answer, str) and bool(answer)
    return bool(answer)


def _with_rows(reply: Reply, rows: Rows) -> Reply:
    if not rows:
        return reply
    return Reply(reply.key, reply.text, (*reply.buttons, *rows), reply.protect)
