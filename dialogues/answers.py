"""What an answer to the current step does: store it, then move on (or back to the summary).

"Move on" is always "the first step, in flow order, that applies and has no answer yet",
so the same rule serves the first pass, a change made from the summary (changing
"evidence" to yes asks for the note, then returns), and a state restored from an older
version of the flow.
"""

from __future__ import annotations

from dataclasses import replace

from dialogues.flow import Step
from dialogues.intents import normalise
from dialogues.questions import Questions
from dialogues.state import State
from dialogues.summary import Summary, answered
from dialogues.types import Outcome, Reply
from vocabulary import normalize_kvk

DONE_WORDS = frozenset({"klaar", "done", "dat was het", "dat is alles", "that's it", "thats it"})


class Answers:
    def __init__(self, questions: Questions, summary: Summary) -> None:
        self.q = questions
        self.summary = summary

    def press(self, state: State, step: Step, value: str) -> Outcome:
        """A button under a flow step's question."""
        if step.kind == "choice" and value != "skip":
            return self.choose(state, step, value)
        if step.kind == "multi":
            if value == "next":
                return self.finish_multi(state, step)
            return self.toggle(state, step, value)
        if step.kind == "story":
            return self.finish_story(state, step, "" if value == "done" else value)
        if value == "skip":
            return self.skip(state, step)
        return self.pick(state, step, value)

    def edit_press(self, state: State, value: str) -> Outcome:
        """A button on the edit menu: back to the summary, add to the story, or a step."""
        if value == "back":
            return self.enter(state, "summary")
        if value == "add.story":
            return self.add_to_story(state)
        return self.enter(replace(state, editing=True), value.removeprefix("edit."))

    def next_step(self, state: State) -> str:
        for step in self.q.flow.steps:
            if self.q.applies(step, state) and not answered(step, state):
                return step.id
        return "summary"

    def enter(self, state: State, step_id: str, before: tuple[Reply, ...] = ()) -> Outcome:
        step = self.q.flow.step(step_id)
        if step is None:  # the summary
            new = state.advance(step="summary", editing=False, selected=(), rewrite=())
            return Outcome(new, (*before, self.summary.render(new)))
        previous = state.answers.get(step_id, ())
        selected = previous if step.kind == "multi" and isinstance(previous, tuple) else ()
        # "Back" keeps an answer as it was; a question a change made necessary (the school
        # is mbo again: "recognised?") has none to keep, so it is answered, not skipped.
        editing = state.editing and answered(step, state)
        new = state.advance(step=step_id, editing=editing, selected=selected, rewrite=())
        return Outcome(new, (*before, self.q.ask(new)))

    def after(self, state: State, before: tuple[Reply, ...] = ()) -> Outcome:
        state = self.prune(state)
        return self.enter(state, self.next_step(state), before)

    def cancel_edit(self, state: State) -> Outcome:
        """Back to the summary from a question opened there, changing nothing; a question
        still owed (a state saved before it lost its back button) is asked instead."""
        return self.enter(state, self.next_step(state))

    def choose(self, state: State, step: Step, value: str) -> Outcome:
        extra_key = step.extra.get(value)
        if value in step.pause:  # "in danger now": help first, the question waits
            moved = self.after(state.with_answer(step.id, value)).state or state
            paused = replace(moved, menu="pause")
            return Outcome(paused, (self.q.pause_prompt(paused, extra_key or "pause_waiting"),))
        extra = (self.q.say(state, extra_key),) if extra_key else ()
        if value == step.explain:  # "explain": the text, then the same question again
            again = state.advance(editing=state.editing)
            return Outcome(again, (*extra, self.q.ask(again)))
        return self.after(state.with_answer(step.id, value), extra)

    def toggle(self, state: State, step: Step, value: str) -> Outcome:
        """An exclusive option ("I don't know") and the others clear each other, so a
        report never says "origin, and the student doesn't know"."""
        chosen = set(state.selected) ^ {value}
        if value in chosen:
            alone = value in step.exclusive
            chosen = {value} if alone else chosen - set(step.exclusive)
        ordered = tuple(v for v in self.q.options(step) if v in chosen)
        new = state.advance(selected=ordered)
        return Outcome(new, (self.q.ask(new),))

    def finish_multi(self, state: State, step: Step) -> Outcome:
        if not state.selected:
            return Outcome(state, (self.q.say(state, "pick_one"),))
        return self.after(state.with_answer(step.id, state.selected))

    def story_text(self, state: State, step: Step, text: str) -> Outcome:
        clean = text.strip()
        if clean.casefold() in DONE_WORDS:
            return self.finish_story(state, step)
        if self.means_back(clean):
            return self.back_from_story(state, step)
        if not clean:
            return Outcome(state, (self.q.say(state, "story_empty"),))
        parts = state.rewrite if state.editing else state.story
        if len(clean) > step.max_length:
            return Outcome(state, (self.q.say(state, "text_too_long", limit=step.max_length),))
        if sum(len(p) for p in parts) + len(clean) > step.max_total:
            return Outcome(state, (self.q.say(state, "text_too_long", limit=step.max_total),))
        grown = (*parts, clean)
        new = replace(state, rewrite=grown) if state.editing else replace(state, story=grown)
        if not parts or state.menu:  # the Done button appears, or an overlay closes
            new = new.advance()
        return Outcome(new, (self.q.ask(new, added=bool(parts)),))

    def finish_story(self, state: State, step: Step, then: str = "") -> Outcome:
        """Done with the story; `then`: a button of the question asked with it (see
        `Questions.follows_story`), which ends the story and answers that question."""
        parts = state.rewrite if state.editing else state.story
        if not parts:
            return Outcome(state, (self.q.say(state, "story_empty"),))
        following = self.q.follows_story(state) if then else None
        finished = replace(state, story=parts, rewrite=())
        if following is None or then not in self.q.options(following):
            return self.after(finished)
        if following.kind == "multi":
            asked = self.enter(self.prune(finished), following.id)
            if asked.state is None:  # never: entering a flow step keeps a state
                return asked
            return self.toggle(asked.state, following, then)
        return self.choose(finished, following, then)

    def means_back(self, text: str) -> bool:
        """ "terug", "back", "ga terug" …: a way back, in either language, not story text.
        The words live in the locale files (`words_back`, separated by |)."""
        wanted = normalise(text)
        return any(
            wanted == normalise(word)
            for t in self.q.texts.values()
            for word in t.get("words_back").split("|")
            if word.strip()
        )

    def back_from_story(self, state: State, step: Step) -> Outcome:
        """From the summary: back there, the story as it was. On the first pass: the
        question before, its answer kept (what was told so far is kept too)."""
        if state.editing:
            return self.cancel_edit(state)
        ids = [s.id for s in self.q.flow.steps if self.q.applies(s, state)]
        at = ids.index(step.id) if step.id in ids else 0
        if at == 0:
            return Outcome(state, (self.q.ask(state),))
        return self.enter(replace(state, editing=True), ids[at - 1])

    def add_to_story(self, state: State) -> Outcome:
        """From the summary: more words after the story as it is (Done keeps both)."""
        step = next(s for s in self.q.flow.steps if s.kind == "story")
        new = state.advance(step=step.id, editing=True, selected=(), rewrite=state.story)
        return Outcome(new, (self.q.ask(new),))

    def free_text(self, state: State, step: Step, text: str) -> Outcome:
        clean = text.strip()
        if not clean:
            return Outcome(state, (self.q.ask(state),))
        if len(clean) > step.max_length:
            return Outcome(state, (self.q.say(state, "text_too_long", limit=step.max_length),))
        if step.format == "kvk":
            digits = normalize_kvk(clean)
            if digits is None:
                return Outcome(state, (self.q.say(state, "kvk_invalid"), self.q.ask(state)))
            clean = digits
        return self.after(state.with_answer(step.id, clean))

    def pick(self, state: State, step: Step, value: str) -> Outcome:
        """A shortcut button on a text step (a known workplace): kept as (id,), so the
        draft can tell a picked organization from a typed name."""
        return self.after(state.with_answer(step.id, (value,)))

    def skip(self, state: State, step: Step) -> Outcome:
        return self.after(state.with_answer(step.id, ""))

    def prune(self, state: State) -> State:
        """Forget answers to steps that no longer apply (evidence changed to "no")."""
        keep = {
            k: v
            for k, v in state.answers.items()
            if (step := self.q.flow.step(k)) is None or self.q.applies(step, state)
        }
        return replace(state, answers=keep)
