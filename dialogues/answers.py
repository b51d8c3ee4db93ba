"""What an answer to the current step does: store it, then move on (or back to the summary)."""

from __future__ import annotations

from dataclasses import replace

from dialogues.flow import Step
from dialogues.questions import Questions
from dialogues.state import State
from dialogues.summary import Summary, applies
from dialogues.types import Outcome, Reply

DONE_WORDS = frozenset({"klaar", "done", "dat was het", "that's it", "thats it", "ok klaar"})


class Answers:
    def __init__(self, questions: Questions, summary: Summary) -> None:
        self.q = questions
        self.summary = summary

    def enter(self, state: State, step_id: str, before: tuple[Reply, ...] = ()) -> Outcome:
        step = self.q.flow.step(step_id)
        if step is None:  # "summary"
            new = state.next_turn(step="summary", editing=False, selected=())
            return Outcome(new, (*before, self.summary.render(new)))
        previous = state.answers.get(step_id, ())
        selected = previous if step.kind == "multi" and isinstance(previous, tuple) else ()
        story = () if step.kind == "story" and state.editing else state.story
        new = state.next_turn(step=step_id, selected=selected, story=story)
        return Outcome(new, (*before, self.q.ask(new)))

    def after(self, state: State, step: Step, before: tuple[Reply, ...] = ()) -> Outcome:
        state = _prune(self.q, state)
        return self.enter(state, self._next(state, step), before)

    def _next(self, state: State, step: Step) -> str:
        steps = self.q.flow.steps
        for later in steps[steps.index(step) + 1 :]:
            if not applies(later, state):
                continue
            if state.editing and later.id in state.answers:
                continue
            if state.editing and not later.only_if:
                break
            return later.id
        return "summary"

    def choose(self, state: State, step: Step, value: str) -> Outcome:
        answered = state.with_answer(step.id, value)
        extra_key = step.extra.get(value)
        extra = (Reply(extra_key, self.q.t(state).get(extra_key)),) if extra_key else ()
        return self.after(answered, step, extra)

    def toggle(self, state: State, step: Step, value: str) -> Outcome:
        chosen = set(state.selected) ^ {value}
        ordered = tuple(v for v in self.q.options(step) if v in chosen)
        new = state.next_turn(selected=ordered)
        return Outcome(new, (self.q.ask(new),))

    def finish_multi(self, state: State, step: Step) -> Outcome:
        if not state.selected:
            t = self.q.t(state)
            return Outcome(state, (Reply("grounds_pick_one", t.get("grounds_pick_one")),))
        return self.after(state.with_answer(step.id, state.selected), step)

    def story_text(self, state: State, step: Step, text: str) -> Outcome:
        t = self.q.t(state)
        if text.strip().casefold() in DONE_WORDS:
            return self.finish_story(state, step)
        if not text.strip():
            return Outcome(state, (Reply("story_empty", t.get("story_empty")),))
        total = sum(len(p) for p in state.story) + len(text)
        if len(text) > step.max_length or total > step.max_total:
            limit = step.max_length if len(text) > step.max_length else step.max_total
            return Outcome(state, (Reply("text_too_long", t.get("text_too_long", limit=limit)),))
        new = state.next_turn(story=(*state.story, text.strip()))
        return Outcome(new, (self.q.ask(new),))

    def finish_story(self, state: State, step: Step) -> Outcome:
        if not state.story:
            t = self.q.t(state)
            return Outcome(state, (Reply("story_empty", t.get("story_empty")), self.q.ask(state)))
        return self.after(state, step)

    def free_text(self, state: State, step: Step, text: str) -> Outcome:
        t = self.q.t(state)
        clean = text.strip()
        if not clean:
            return Outcome(state, (self.q.ask(state),))
        if len(clean) > step.max_length:
            reply = Reply("text_too_long", t.get("text_too_long", limit=step.max_length))
            return Outcome(state, (reply,))
        return self.after(state.with_answer(step.id, clean), step)

    def skip(self, state: State, step: Step) -> Outcome:
        return self.after(state.with_answer(step.id, ""), step)


def _prune(q: Questions, state: State) -> State:
    """Forget answers to steps that no longer apply (evidence changed to "no")."""
    keep = {
        k: v
        for k, v in state.answers.items()
        if (step := q.flow.step(k)) is None or applies(step, state)
    }
    return replace(state, answers=keep)
