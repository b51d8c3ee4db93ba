"""A student's-eye driver for the dialogue engine, shared by the tests/unit/dialogues/
files, plus the checks every single turn must pass (valid Telegram-HTML, at most 4096
characters, well-formed buttons made for the new state, a state that survives JSON).

Not a test module: tests import it, and tests never import one another."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from dialogues import (
    Button,
    Command,
    DrawReceipt,
    Engine,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    State,
    Submit,
    Text,
    Unsupported,
)
from dialogues.texts import check_html

SCHOOLS = (
    ("hhs", "De Haagse Hogeschool", "hbo"),
    ("inholland", "Hogeschool Inholland", "hbo"),
    ("mondriaan", "ROC Mondriaan & Partners", "mbo"),
)
WORKPLACES = (
    ("haga", "HagaZiekenhuis"),
    ("gemeente", "Gemeente Den Haag & Co"),
)
CONTEXT = FlowContext(schools=SCHOOLS, workplaces=WORKPLACES)
ENGINE = Engine(CONTEXT, strict=True)  # strict: a text missing in English fails the test
VALUE = re.compile(r"^[a-z0-9_.-]{1,32}$")
STORY = "De manager zei dat iemand met een hoofddoek niet bij hun klanten paste."

# What the shortest way through the flow answers; tests override single steps.
DEFAULTS: dict[str, object] = {
    "safety": "no",
    "phase": "interview",
    "story": (STORY,),
    "grounds": ("religion",),
    "when": "month",
    "school": "hhs",
    "workplace": "",
    "workplace_town": "",
    "workplace_kvk": "",
    "pattern_consent": "no",
    "sector": "",
    "evidence": "no",
    "evidence_note": "",
    "wants": "talk",
    "visibility": "school",
    "recognised": "unknown",
}


def check_outcome(outcome: Outcome) -> None:
    """What must hold after every turn, whatever the input."""
    state = outcome.state
    turn = state.turn if state is not None else 0
    if outcome.action is None:
        assert outcome.replies, "a turn without an action always answers"
    for reply in outcome.replies:
        check_reply(reply, turn)
    if state is not None:
        wire = json.loads(json.dumps(state.to_json()))
        assert State.from_json(wire) == state
    assert has_way_on(outcome), [r.key for r in outcome.replies]


COMMAND_NAMED = re.compile(r"/(start|report|status|withdraw|help|privacy|language|stop)\b")


def has_way_on(outcome: Outcome) -> bool:
    """No dead ends: after every turn the student has a next step — a button, a command
    named in the text, or (while typed words are awaited) typing itself. A turn with an
    action is answered by the channel's result, checked in its own turn."""
    if outcome.action is not None or any(r.buttons for r in outcome.replies):
        return True
    state = outcome.state
    if state is not None and state.expecting:
        return True
    step = ENGINE.flow.step(state.step) if state is not None else None
    if state is not None and not state.menu and step is not None and step.kind in ("story", "text"):
        return True
    return bool(outcome.replies) and bool(COMMAND_NAMED.search(outcome.replies[-1].text))


def check_reply(reply: Reply, turn: int) -> None:
    assert reply.key
    assert reply.text.strip(), reply.key
    assert len(reply.text) <= 4096, (reply.key, len(reply.text))
    check_html(reply.text)
    for row in reply.buttons:
        assert row, "no empty rows"
        for button in row:
            assert VALUE.match(button.value), button.value
            assert len(button.value.encode()) <= 32
            assert button.label.strip() and "<" not in button.label, button.label
            assert button.turn == turn, (button, turn)


class Chat:
    """One student. Presses only what the latest buttons offer, like a real phone."""

    def __init__(
        self, engine: Engine = ENGINE, *, lang_hint: str | None = None, can_push: bool = False
    ) -> None:
        self.engine = engine
        self.lang_hint = lang_hint
        self.can_push = can_push
        self.state: State | None = None
        self.outcome = Outcome(None, ())
        self.buttons: tuple[Button, ...] = ()
        self.inputs = 0

    # inputs
    def send(self, inp: Input) -> Outcome:
        out = self.engine.handle(self.state, inp, lang_hint=self.lang_hint, can_push=self.can_push)
        return self._take(out, counts=True)

    def cmd(self, name: str, arg: str = "") -> Outcome:
        return self.send(Command(name, arg))

    def say(self, text: str) -> Outcome:
        return self.send(Text(text))

    def media(self, kind: str = "photo") -> Outcome:
        return self.send(Unsupported(kind))

    def press(self, value: str) -> Outcome:
        button = self.button(value)
        return self.send(Press(button.turn, value))

    # the channel's side
    def receipt_drawn(self, code: str = "4821093755218804", *, again: bool = False) -> Outcome:
        """After DrawReceipt: the channel drew `code`; the receipt screen shows it."""
        assert self.state is not None
        push = isinstance(self.outcome.action, DrawReceipt) and self.outcome.action.push
        if not isinstance(self.outcome.action, DrawReceipt):
            push = self.state.push
        return self._take(self.engine.receipt_drawn(self.state, code, push=push, again=again))

    def submitted(self, reference: str = "SM-2025-ABCD") -> Outcome:
        assert self.state is not None
        return self._take(self.engine.submitted(self.state, reference=reference))

    def _take(self, out: Outcome, *, counts: bool = False) -> Outcome:
        check_outcome(out)
        self.inputs += counts
        self.state = out.state
        self.outcome = out
        drawn = tuple(b for r in out.replies for row in r.buttons for b in row)
        if drawn:
            self.buttons = drawn
        return out

    # looking
    def button(self, value: str) -> Button:
        found = [b for b in self.buttons if b.value == value]
        assert found, f"{value!r} is not on offer: {self.offered}"
        return found[0]

    @property
    def offered(self) -> list[str]:
        return [b.value for b in self.buttons]

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.outcome.replies]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.outcome.replies)

    @property
    def step(self) -> str | None:
        return None if self.state is None else self.state.step

    def answer_current(self, choices: Mapping[str, object], target: str = "") -> None:
        """Answers the question on screen: the value in `choices`, else the default. The
        story is ended the shortest way: by answering the question asked with it, unless
        that is `target` (or skipped), then with "done"."""
        if self.state is not None and self.state.menu == "pause":
            self.press("pause.on")  # help lines shown: "I want to go on"
            return
        step = self.step
        assert step is not None
        kind = ENGINE.flow.step(step)
        assert kind is not None, step
        value = choices.get(step, DEFAULTS[step])
        if kind.kind == "choice":
            assert isinstance(value, str)
            self.press(value or "skip")
        elif kind.kind == "multi":
            assert isinstance(value, tuple)
            for option in value:
                self.press(option)
            self.press("next")
        elif kind.kind == "story":
            assert isinstance(value, tuple)
            for part in value:
                self.say(part)
            following = self.following_story()
            then = choices.get(following, DEFAULTS.get(following, "")) if following else ""
            if following and following != target and then:
                self._answer_following(following, then)  # its first tap ends the story
            else:
                self.press("done")
        elif isinstance(value, tuple):  # a shortcut button of a text step
            self.press(value[0])
        elif value:
            assert isinstance(value, str)
            self.say(value)
        else:
            self.press("skip")

    def _answer_following(self, step_id: str, value: object) -> None:
        step = ENGINE.flow.step(step_id)
        assert step is not None
        if step.kind == "multi":
            assert isinstance(value, tuple)
            for option in value:
                self.press(option)
            self.press("next")
        else:
            assert isinstance(value, str)
            self.press(value)

    def following_story(self) -> str:
        """The question asked together with the story's "more, or done?", if any."""
        assert self.state is not None
        step = ENGINE.q.follows_story(self.state)
        return step.id if step is not None and not self.state.editing else ""

    def walk_to(self, target: str, choices: Mapping[str, object] | None = None) -> None:
        """From wherever the chat is, answer questions until `target` is asked."""
        for _ in range(40):
            if self.step == target:
                return
            self.answer_current(choices or {}, target)
        raise AssertionError(f"never reached {target}")


def start(lang: str = "nl", *, can_push: bool = False) -> Chat:
    chat = Chat(lang_hint=lang, can_push=can_push)
    chat.cmd("start")
    return chat


def file_draft(
    chat: Chat,
    choices: Mapping[str, object] | None = None,
    *,
    code: str = "4821093755218804",
    push: bool = False,
) -> Submit:
    """To the summary, Submit, the code shown, "I have saved it": the Submit action."""
    chat.walk_to("summary", choices)
    out = chat.press("submit.push" if push else "submit")
    assert out.action == DrawReceipt(push=push) and out.replies == ()
    chat.receipt_drawn(code)
    out = chat.press("receipt.saved")
    assert isinstance(out.action, Submit) and out.action.receipt == code
    assert out.action.push == push
    return out.action


def reply_keys(replies: Sequence[Reply]) -> list[str]:
    return [r.key for r in replies]
