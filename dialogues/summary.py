"""The summary a student checks before submitting, and the draft that is submitted.

The summary echoes the student's own words, so every value is HTML-escaped, and it is
clipped so the message stays within Telegram's 4096 characters whatever they typed.
The full text still goes into the draft; only the preview is shortened.
"""

from __future__ import annotations

from html import escape

from dialogues.flow import Flow, Step
from dialogues.questions import Questions
from dialogues.state import State
from dialogues.types import Button, Draft, Reply

MESSAGE_LIMIT = 4096
STORY_PREVIEW = 2000  # characters of escaped story at most
VALUE_BUDGET = 500  # characters of escaped text per other answer
ELLIPSIS = "…"
# Draft field -> (flow step, expected kind). The flow must provide these.
DRAFT_STEPS = {
    "danger": ("safety", "choice"),
    "threat": ("safety", "choice"),
    "phase": ("phase", "choice"),
    "story": ("story", "story"),
    "grounds": ("grounds", "multi"),
    "when": ("when", "choice"),
    "school": ("school", "choice"),
    "workplace": ("workplace", "text"),
    "workplace_org": ("workplace", "text"),
    "evidence": ("evidence", "choice"),
    "evidence_note": ("evidence_note", "text"),
    "wants": ("wants", "choice"),
    "visibility": ("visibility", "choice"),
    "recognised": ("recognised", "choice"),
    "sector": ("sector", "choice"),
}


def answered(step: Step, state: State) -> bool:
    return bool(state.story) if step.kind == "story" else step.id in state.answers


def check_draft_steps(flow: Flow) -> None:
    for field, (step_id, kind) in DRAFT_STEPS.items():
        step = flow.step(step_id)
        if step is None or step.kind != kind:
            raise ValueError(f"step {step_id}: the draft's {field} needs a {kind} step {step_id}")


def clip(text: str, budget: int) -> tuple[str, bool]:
    """Escapes `text` and cuts it so the escaped form (with an ellipsis) fits `budget`."""
    full = escape(text, quote=False)
    if len(full) <= budget:
        return full, False
    out: list[str] = []
    used = len(ELLIPSIS)
    for ch in text:
        piece = escape(ch, quote=False)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS, True


class Summary:
    def __init__(self, questions: Questions) -> None:
        self.q = questions

    def steps(self, state: State) -> list[Step]:
        return [s for s in self.q.flow.steps if s.in_summary and self.q.applies(s, state)]

    def render(self, state: State) -> Reply:
        """With a channel that can push, two ways to submit: one tap either way, so asking
        for news costs the student nothing extra."""
        t = self.q.t(state)
        submit: tuple[Button, ...] = (self.q.button(state, "btn_submit", "submit"),)
        if state.can_push:
            submit = (*submit, self.q.button(state, "btn_submit_push", "submit.push"))
        rows = (
            *((b,) for b in submit),
            (self.q.button(state, "btn_edit", "edit"), self.q.button(state, "btn_stop", "stop")),
        )
        head = t.get("summary")
        if state.can_push:
            head = f"{head}\n{t.get('summary_push_note')}"
        lines: list[tuple[Step, str]] = [
            (s, t.get("sum_line", label=t.get(f"sum_{s.id}"), value=self._value(state, s)))
            for s in self.steps(state)
            if s.kind != "story"
        ]
        fixed = len(head) + sum(len(line) + 1 for _, line in lines)
        story_line = self._story_line(state, MESSAGE_LIMIT - fixed - 1)
        body = [line for _, line in lines]
        story_at = next((i for i, s in enumerate(self.steps(state)) if s.kind == "story"), None)
        if story_at is not None and story_line:
            body.insert(story_at, story_line)
        return Reply("summary", "\n".join([head, *body]), rows, protect=True)

    def _story_line(self, state: State, room: int) -> str:
        t = self.q.t(state)
        story = next((s for s in self.steps(state) if s.kind == "story"), None)
        if story is None:
            return ""
        note = t.get("sum_story_cut")
        label = t.get(f"sum_{story.id}")
        overhead = len(t.get("sum_line", label=label, value="")) + len(note) + 1
        text, cut = clip("\n\n".join(state.story), max(0, min(STORY_PREVIEW, room - overhead)))
        value = f"{text}\n{note}" if cut else text
        return t.get("sum_line", label=label, value=value)

    def _value(self, state: State, step: Step) -> str:
        t = self.q.t(state)
        answer = state.answers.get(step.id, "")
        if isinstance(answer, tuple):
            labels = ", ".join(self.q.label(state, step, v) for v in answer)
            return clip(labels, VALUE_BUDGET)[0]
        if step.kind == "text" or not answer:  # a text, or an optional choice skipped
            return clip(answer, VALUE_BUDGET)[0] if answer else t.get("sum_empty")
        return clip(self.q.label(state, step, answer), VALUE_BUDGET)[0]

    def edit_menu(self, state: State) -> Reply:
        t = self.q.t(state)
        rows: list[tuple[Button, ...]] = []
        for s in self.steps(state):
            if s.kind == "story":  # add to it, or tell it again (issue 11)
                rows.append((self.q.button(state, "btn_story_add", "add.story"),))
                rows.append((self.q.button(state, "btn_story_replace", f"edit.{s.id}"),))
            else:
                rows.append((Button(t.get(f"sum_{s.id}"), f"edit.{s.id}", state.turn),))
        back = (self.q.button(state, "btn_back", "back"),)
        return Reply("ask_edit", t.get("ask_edit"), (*rows, back))


def draft_of(state: State, q: Questions) -> Draft:
    a = state.answers

    def one(key: str) -> str:
        value = a.get(key, "")
        return value if isinstance(value, str) else ""

    # A workplace picked from the buttons is stored as (id,); a typed one as its text.
    picked = a.get("workplace", "")
    workplace_org = picked[0] if isinstance(picked, tuple) and picked else ""
    workplace = (
        dict(q.context.workplaces).get(workplace_org, "") if workplace_org else one("workplace")
    )
    grounds = a.get("grounds", ())
    return Draft(
        lang=state.lang,
        phase=one("phase"),
        story="\n\n".join(state.story),
        grounds=grounds if isinstance(grounds, tuple) else (grounds,),
        when=one("when"),
        school=one("school"),
        workplace=workplace,
        evidence=one("evidence"),
        evidence_note=one("evidence_note"),
        wants=one("wants"),
        visibility=one("visibility"),
        danger=one("safety") == "yes",
        threat=one("safety") == "threat",
        workplace_org=workplace_org,
        recognised=one("recognised"),
        sector=one("sector"),
        workplace_town=one("workplace_town") if not workplace_org else "",
        workplace_kvk=one("workplace_kvk") if not workplace_org else "",
        pattern_consent=bool(workplace) and one("pattern_consent") == "yes",
    )
