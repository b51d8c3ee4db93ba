"""Make a persisted state fit the flow and configuration running now.

A state can outlive a deployment: a school removed from the config, an option renamed,
a step added. `State.from_json` checks the shape; this checks the meaning, keeping every
answer that is still valid and continuing at the first question that is not answered.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.answers import Answers
from dialogues.flow import Step
from dialogues.questions import Questions
from dialogues.state import Answer, State

OWN_STEPS = ("summary", "edit")
IDLE = (None, "done")


def repair(state: State, q: Questions, answers: Answers) -> State:
    if state.step in IDLE:
        if state.answers or state.story or state.rewrite or state.selected or state.editing:
            state = replace(state, answers={}, story=(), rewrite=(), selected=(), editing=False)
        return state.tidy()
    kept = {k: v for k, v in state.answers.items() if _valid(q, q.flow.step(k), v)}
    fixed = answers.prune(replace(state, answers=kept))
    step = q.flow.step(fixed.step)
    if step is not None:
        options = q.options(step)
        fixed = replace(fixed, selected=tuple(v for v in fixed.selected if v in options))
    if fixed.menu == "welcome" and fixed.step != q.flow.steps[0].id:
        fixed = replace(fixed, menu="")
    if fixed.menu == "confirm" and (step is None or fixed.guess not in q.options(step)):
        fixed = replace(fixed, menu="", guess="")  # the option guessed is gone
    misplaced = (step is None and fixed.step not in OWN_STEPS) or (
        step is not None and not q.applies(step, fixed)
    )
    if fixed.step in OWN_STEPS and answers.next_step(fixed) != "summary":
        misplaced = True
    if misplaced:
        target = answers.next_step(fixed)
        fixed = fixed.advance(step=target, editing=False, selected=(), rewrite=())
    return fixed.tidy()


def _valid(q: Questions, step: Step | None, value: Answer) -> bool:
    if step is None or step.kind == "story":
        return False
    options = q.options(step)
    if step.kind == "choice":
        return isinstance(value, str) and (value in options or (step.optional and value == ""))
    if step.kind == "multi":
        return (
            isinstance(value, tuple)
            and bool(value)
            and len(set(value)) == len(value)
            and all(v in options for v in value)
            # an exclusive option ("I don't know") stands alone (saved before it did)
            and (len(value) == 1 or not set(value) & set(step.exclusive))
        )
    if isinstance(value, tuple):  # a shortcut picked on a text step
        return len(value) == 1 and value[0] in options
    return len(value) <= step.max_length
