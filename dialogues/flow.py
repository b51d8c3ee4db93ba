"""The report flow, loaded from YAML and checked, so a typo fails at start-up, not in a
student's conversation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = ("choice", "multi", "story", "text")
SOURCES = ("schools", "visibility")
FLOW_FILE = Path(__file__).resolve().parent / "flows" / "report.yaml"


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


@dataclass(frozen=True, slots=True)
class Flow:
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)


def load_flow(path: Path = FLOW_FILE) -> Flow:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ValueError(f"{path}: needs a list under steps:")
    steps = tuple(_step(raw, i) for i, raw in enumerate(data["steps"]))
    _check_references(steps)
    return Flow(steps)


def _step(raw: Any, index: int) -> Step:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ValueError(f"step {index}: needs an id")
    name = raw["id"]
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"step {name}: kind must be one of {', '.join(KINDS)}")
    source = raw.get("options_from")
    if source is not None and source not in SOURCES:
        raise ValueError(f"step {name}: options_from must be one of {', '.join(SOURCES)}")
    options = tuple(str(o) for o in raw.get("options", ()))
    if kind in ("choice", "multi") and not options and source is None:
        raise ValueError(f"step {name}: a {kind} step needs options or options_from")
    return Step(
        id=name,
        kind=kind,
        options=options,
        options_from=source,
        optional=bool(raw.get("optional", False)),
        max_length=int(raw.get("max_length", 4000)),
        max_total=int(raw.get("max_total", 12000)),
        only_if={str(k): str(v) for k, v in (raw.get("only_if") or {}).items()},
        extra={str(k): str(v) for k, v in (raw.get("extra") or {}).items()},
        in_summary=bool(raw.get("in_summary", True)),
    )


def _check_references(steps: tuple[Step, ...]) -> None:
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            raise ValueError(f"step {step.id}: defined twice")
        for depends_on in step.only_if:
            if depends_on not in seen:
                raise ValueError(f"step {step.id}: only_if names {depends_on}, not asked before")
        seen.add(step.id)
