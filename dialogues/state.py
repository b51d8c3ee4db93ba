"""A conversation's state: small, immutable, and safe to round-trip through JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

LANGS = ("nl", "en")
Answer = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class State:
    lang: str = "nl"
    step: str | None = None  # None: no report in progress
    turn: int = 0
    answers: Mapping[str, Answer] = field(default_factory=dict)
    story: tuple[str, ...] = ()
    selected: tuple[str, ...] = ()  # a multi-select being toggled
    editing: bool = False  # came from the summary: go back there after this answer
    awaiting_code: bool = False  # /status asked for a receipt code

    @classmethod
    def new(cls, lang: str = "nl") -> State:
        return cls(lang=lang if lang in LANGS else "nl")

    def next_turn(self, **changes: Any) -> State:
        return replace(self, turn=self.turn + 1, **changes)

    def with_answer(self, step: str, value: Answer) -> State:
        return replace(self, answers={**self.answers, step: value})

    def to_json(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "step": self.step,
            "turn": self.turn,
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers.items()},
            "story": list(self.story),
            "selected": list(self.selected),
            "editing": self.editing,
            "awaiting_code": self.awaiting_code,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> State:
        try:
            return cls(
                lang=_choice(data["lang"], LANGS),
                step=_optional_str(data["step"]),
                turn=_int(data["turn"]),
                answers=_answers(data["answers"]),
                story=_strings(data["story"]),
                selected=_strings(data["selected"]),
                editing=_bool(data["editing"]),
                awaiting_code=_bool(data["awaiting_code"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a conversation state: {exc}") from exc


def _choice(value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"unexpected value {value!r}")
    return str(value)


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("expected a string")


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected an integer")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _answers(value: object) -> dict[str, Answer]:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping of answers")
    out: dict[str, Answer] = {}
    for key, answer in value.items():
        if not isinstance(key, str):
            raise ValueError("answer keys are strings")
        out[key] = answer if isinstance(answer, str) else _strings(answer)
    return out
