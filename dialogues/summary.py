"""The summary a student checks before submitting, and the draft that is submitted."""

from __future__ import annotations

from dialogues.flow import Step
from dialogues.questions import Questions, quote
from dialogues.state import State
from dialogues.types import Button, Draft, Reply

STORY_PREVIEW = 1500


def applies(step: Step, state: State) -> bool:
    return all(state.answers.get(k) == v for k, v in step.only_if.items())


class Summary:
    def __init__(self, questions: Questions) -> None:
        self.q = questions

    def steps(self, state: State) -> list[Step]:
        return [s for s in self.q.flow.steps if s.in_summary and applies(s, state)]

    def render(self, state: State) -> Reply:
        t = self.q.t(state)
        lines = [t.get("summary")]
        for step in self.steps(state):
            lines.append(f"<b>{t.get(f'sum_{step.id}')}</b>: {self.value(state, step)}")
        rows = (
            (self.q.button(state, "btn_submit", "submit"),),
            (self.q.button(state, "btn_edit", "edit"), self.q.button(state, "btn_stop", "stop")),
        )
        return Reply("summary", "\n".join(lines), rows, protect=True)

    def value(self, state: State, step: Step) -> str:
        t = self.q.t(state)
        if step.kind == "story":
            story = "\n\n".join(state.story)
            if len(story) > STORY_PREVIEW:
                story = story[:STORY_PREVIEW].rstrip() + "…"
            return quote(story)
        answer = state.answers.get(step.id, "")
        if step.kind == "multi":
            return ", ".join(quote(self.q.label(state, step, v)) for v in answer)
        if step.kind == "text":
            return quote(str(answer)) if answer else t.get("sum_empty")
        return quote(self.q.label(state, step, str(answer)))

    def edit_menu(self, state: State) -> Reply:
        t = self.q.t(state)
        rows = tuple(
            (Button(t.get(f"sum_{s.id}"), f"edit.{s.id}", state.turn),) for s in self.steps(state)
        )
        back = (self.q.button(state, "btn_back", "back"),)
        return Reply("ask_edit", t.get("ask_edit"), (*rows, back))


def draft_of(state: State) -> Draft:
    a = state.answers

    def one(key: str) -> str:
        value = a.get(key, "")
        return value if isinstance(value, str) else ""

    grounds = a.get("grounds", ())
    return Draft(
        lang=state.lang,
        phase=one("phase"),
        story="\n\n".join(state.story),
        grounds=grounds if isinstance(grounds, tuple) else (grounds,),
        when=one("when"),
        school=one("school"),
        workplace=one("workplace"),
        evidence=one("evidence"),
        evidence_note=one("evidence_note"),
        wants=one("wants"),
        visibility=one("visibility"),
        danger=one("safety") == "yes",
    )
