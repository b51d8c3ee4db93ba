"""The conversation state survives JSON exactly, and anything else read back is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dialogues import State
from tests.support.dialogue_driver import start


def _full() -> State:
    return State(
        lang="en",
        step="grounds",
        turn=12,
        answers={"safety": "no", "phase": "during", "workplace": "", "grounds": ("age", "other")},
        story=("één", "twee 😀", "\u202eRTL"),
        editing=True,
        expecting="code",
        selected=("age",),
        rewrite=("nieuw",),
        menu="language",
        token="tok_ABC-123.xyz~",
        can_push=True,
    )


@pytest.mark.parametrize(
    "state", [State.new(), State.new("en"), _full(), State(step="done", turn=3)], ids=repr
)
def test_round_trip_through_json(state: State) -> None:
    wire = json.dumps(state.to_json())
    assert State.from_json(json.loads(wire)) == state


def test_round_trip_of_a_real_conversation() -> None:
    chat = start()
    chat.walk_to("summary", {"evidence": "yes", "evidence_note": "x"})
    state = chat.state
    assert state is not None
    assert State.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_new_only_speaks_our_languages() -> None:
    assert State.new("fr").lang == "nl"
    assert State.new("en") == State(lang="en")


def test_a_state_written_before_the_newer_fields_still_loads() -> None:
    old = {
        "lang": "nl",
        "step": "when",
        "turn": 5,
        "answers": {"phase": "looking"},
        "story": ["x"],
        "editing": False,
        "awaiting_code": False,
    }
    state = State.from_json(old)
    assert state.step == "when" and state.menu == "" and state.selected == ()
    assert state.expecting == "" and state.token == "" and not state.can_push
    waiting = State.from_json({**old, "awaiting_code": True})
    assert waiting.expecting == "code" and waiting.awaiting_code


@pytest.mark.parametrize(
    "state",
    [
        State(step="when", turn=3, menu="status", token="T" * 256),
        State(turn=3, expecting="reply", token="opaque.token-1_~"),
        State(turn=3, menu="withdraw", token="x"),
        State(turn=3, expecting="withdraw_code", can_push=True),
    ],
    ids=repr,
)
def test_the_follow_up_fields_round_trip(state: State) -> None:
    data = json.loads(json.dumps(state.to_json()))
    assert State.from_json(data) == state
    assert data["awaiting_code"] == (state.expecting in ("code", "withdraw_code"))


def test_a_token_must_be_printable_ascii_of_at_most_256() -> None:
    for bad in ("t" * 513, "with space", "tab\t", "nl\n", "é", "<b>\x00"):
        with pytest.raises(ValueError, match="token"):
            State(token=bad)


def _with(**changes: Any) -> dict[str, Any]:
    data = _full().to_json()
    data.update(changes)
    return data


GARBAGE: list[object] = [
    None,
    [],
    "state",
    42,
    {},
    {"lang": "nl"},
    _with(lang="fr"),
    _with(lang=None),
    _with(step=5),
    _with(step="Not A Step"),
    _with(step="x" * 100),
    _with(turn=-1),
    _with(turn="3"),
    _with(turn=True),
    _with(turn=2.5),
    _with(turn=2**40),
    _with(answers=[]),
    _with(answers={"phase": 5}),
    _with(answers={"grounds": [1, 2]}),
    _with(answers={"Bad Key": "x"}),
    _with(answers={5: "x"}),
    _with(story="abc"),
    _with(story=[None]),
    _with(editing="yes"),
    _with(awaiting_code=1),
    _with(selected="age"),
    _with(rewrite={"a": 1}),
    _with(menu="admin"),
    _with(expecting="nothing"),
    _with(expecting=None),
    _with(expecting="code", awaiting_code=False),
    _with(expecting="reply", awaiting_code=True),
    _with(expecting="", awaiting_code=True),
    _with(token=5),
    _with(token=None),
    _with(token="t" * 513),
    _with(token="two words"),
    _with(token="line\nbreak"),
    _with(token="ümlaut"),
    _with(can_push="yes"),
    _with(can_push=1),
]


@pytest.mark.parametrize("data", GARBAGE, ids=lambda d: repr(d)[:60])
def test_garbage_is_refused_with_value_error(data: object) -> None:
    with pytest.raises(ValueError):
        State.from_json(data)


def test_advance_moves_the_turn_and_closes_overlays() -> None:
    state = State(step="phase", turn=4, menu="language")
    later = state.advance(step="story")
    assert (later.turn, later.step, later.menu) == (5, "story", "")
    assert state.advance(menu="welcome").menu == "welcome"


def test_with_answer_does_not_touch_the_original() -> None:
    state = State(answers={"phase": "looking"})
    changed = state.with_answer("phase", "during")
    assert state.answers == {"phase": "looking"} and changed.answers == {"phase": "during"}
