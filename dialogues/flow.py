"""The report flow, loaded from YAML and checked, so a typo fails at start-up, not in a
student's conversation. Every error names the step it is about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = ("choice", "multi", "story", "text")
SOURCES = ("schools", "visibility", "workplaces")
LEVELS = ("mbo", "hbo")
FLOW_FILE = Path(__file__).resolve().parent / "flows" / "report.yaml"
# Values the engine itself puts on buttons next to a step's options, and step names it
# uses for its own screens: a flow may not reuse them.
CONTROL_VALUES = frozenset(
    {"next", "done", "skip", "back", "submit", "edit", "stop", "erase", "keep", "privacy", "none"}
)
RESERVED_STEPS = frozenset({"summary", "edit", "done"})
STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,23}$")  # "edit.<id>" must fit a 32-byte value
OPTION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
STEP_KEYS = frozenset(
    {
        "id",
        "kind",
        "options",
        "options_from",
        "optional",
        "max_length",
        "max_total",
        "only_if",
        "extra",
        "in_summary",
        "school_level",
        "only_if_answer",
        "format",
        "explain",
        "pause",
        "exclusive",
    }
)
# only_if_answer: ask this step only when an earlier text step was answered this way:
#   given  typed or picked (not skipped)      typed  typed, not picked from the buttons
ANSWER_KINDS = ("given", "typed")
FORMATS = ("kvk",)  # a text step's answer must look like this (else a kind message)


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: str
    options: tuple[str, ...] = ()
    options_from: str | None = None
    optional: bool = False
    max_length: int = 4000
    max_total: int = 12000
    only_if: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)
    in_summary: bool = True
    school_level: str | None = None  # ask only when the chosen school is of this level
    only_if_answer: Mapping[str, str] = field(default_factory=dict)  # step -> given | typed
    format: str | None = None  # a text answer's format (kvk), checked before it is kept
    explain: str | None = None  # a choice option that only explains, then asks again
    # options after which the next question waits until the student says "go on"
    pause: tuple[str, ...] = ()
    # multi: options that stand alone ("I don't know"): choosing one clears the others,
    # choosing another clears it
    exclusive: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Flow:
    steps: tuple[Step, ...]

    def step(self, step_id: str | None) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)


def load_flow(path: Path = FLOW_FILE) -> Flow:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise ValueError(f"{path}: needs a non-empty list under steps:")
    steps = tuple(_step(raw, i) for i, raw in enumerate(data["steps"]))
    _check_references(steps)
    return Flow(steps)


def _step(raw: Any, index: int) -> Step:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ValueError(f"step {index}: needs an id")
    name = raw["id"]
    if not STEP_ID.match(name) or name in RESERVED_STEPS:
        raise ValueError(
            f"step {name}: an id is a short lower-case name, not {sorted(RESERVED_STEPS)}"
        )
    unknown = set(raw) - STEP_KEYS
    if unknown:
        raise ValueError(f"step {name}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"step {name}: kind must be one of {', '.join(KINDS)}")
    source = raw.get("options_from")
    if source is not None and source not in SOURCES:
        raise ValueError(f"step {name}: options_from must be one of {', '.join(SOURCES)}")
    options = _options(name, raw.get("options", []))
    if kind in ("choice", "multi") and not options and source is None:
        raise ValueError(f"step {name}: a {kind} step needs options or options_from")
    if kind in ("story", "text") and options:
        raise ValueError(f"step {name}: a {kind} step takes text, not options")
    # A text step may offer known names as shortcuts; typing still works.
    if (kind == "text") != (source == "workplaces") and source is not None:
        raise ValueError(f"step {name}: only a text step takes options_from: workplaces")
    if kind == "story" and source is not None:
        raise ValueError(f"step {name}: a story step takes text, not options")
    level = raw.get("school_level")
    if level is not None and level not in LEVELS:
        raise ValueError(f"step {name}: school_level must be one of {', '.join(LEVELS)}")
    step = Step(
        id=name,
        kind=kind,
        options=options,
        options_from=source,
        optional=_flag(name, raw, "optional", default=False),
        max_length=_positive(name, raw, "max_length", 4000),
        max_total=_positive(name, raw, "max_total", 12000),
        only_if=_pairs(name, raw, "only_if"),
        extra=_pairs(name, raw, "extra"),
        in_summary=_flag(name, raw, "in_summary", default=True),
        school_level=level,
        only_if_answer=_pairs(name, raw, "only_if_answer"),
        format=_format(name, kind, raw.get("format")),
        explain=_explain(name, raw.get("explain"), options, raw),
        pause=_options(name, raw.get("pause", [])),
        exclusive=_options(name, raw.get("exclusive", [])),
    )
    for value in step.only_if_answer.values():
        if value not in ANSWER_KINDS:
            raise ValueError(f"step {name}: only_if_answer takes {', '.join(ANSWER_KINDS)}")
    if step.max_total < step.max_length:
        raise ValueError(f"step {name}: max_total is smaller than max_length")
    for value in step.extra:
        if value not in options:
            raise ValueError(f"step {name}: extra names {value!r}, not one of its options")
    for key, values in (("pause", step.pause), ("exclusive", step.exclusive)):
        if not set(values) <= set(options):
            raise ValueError(f"step {name}: {key} names a value that is not one of its options")
    if step.pause and kind != "choice":
        raise ValueError(f"step {name}: only a choice step can pause")
    if step.exclusive and kind != "multi":
        raise ValueError(f"step {name}: only a multi step has exclusive options")
    return step


def _format(name: str, kind: str, value: object) -> str | None:
    if value is None:
        return None
    if kind != "text" or value not in FORMATS:
        raise ValueError(f"step {name}: format is for text steps: one of {', '.join(FORMATS)}")
    return str(value)


def _explain(name: str, value: object, options: tuple[str, ...], raw: dict[str, Any]) -> str | None:
    """The option that shows its `extra` text and asks the same question again."""
    if value is None:
        return None
    if value not in options or value not in (raw.get("extra") or {}):
        raise ValueError(f"step {name}: explain names an option that has an extra text")
    return str(value)


def _options(name: str, raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"step {name}: options must be a list")
    options = tuple(str(o) for o in raw)
    for option in options:
        if not OPTION.match(option) or option in CONTROL_VALUES:
            raise ValueError(f"step {name}: option {option!r} is not a short slug, or is reserved")
    if len(set(options)) != len(options):
        raise ValueError(f"step {name}: an option is listed twice")
    return options


def _flag(name: str, raw: dict[str, Any], key: str, *, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"step {name}: {key} must be true or false")
    return value


def _positive(name: str, raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"step {name}: {key} must be a positive whole number")
    return value


def _pairs(name: str, raw: dict[str, Any], key: str) -> dict[str, str]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"step {name}: {key} must be a mapping")
    return {str(k): str(v) for k, v in value.items()}


def _check_references(steps: tuple[Step, ...]) -> None:
    seen: dict[str, Step] = {}
    for step in steps:
        if step.id in seen:
            raise ValueError(f"step {step.id}: defined twice")
        for depends_on, value in step.only_if.items():
            earlier = seen.get(depends_on)
            if earlier is None:
                raise ValueError(f"step {step.id}: only_if names {depends_on}, not asked before")
            if earlier.options and value not in earlier.options:
                raise ValueError(f"step {step.id}: only_if {depends_on} is never {value!r}")
        for depends_on in step.only_if_answer:
            earlier = seen.get(depends_on)
            if earlier is None or earlier.kind != "text":
                raise ValueError(f"step {step.id}: only_if_answer names {depends_on}, no text step")
        if step.school_level is not None and not any(
            s.options_from == "schools" for s in seen.values()
        ):
            raise ValueError(f"step {step.id}: school_level needs a schools step before it")
        seen[step.id] = step
    if sum(s.kind == "story" for s in steps) > 1:
        raise ValueError(
            f"step {[s.id for s in steps if s.kind == 'story'][1]}: one story per flow"
        )
