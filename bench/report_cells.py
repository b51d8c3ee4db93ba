"""The cells every part of the bench's Markdown is made of: a number or a dash, a value
deep in the results JSON, whether a part ran at all, and a run's error count."""

from __future__ import annotations

import math
from typing import Any


def num(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def dig(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def error_count(run: dict[str, Any]) -> int:
    total = 0
    for phase in ("ramp", "at_rate", "saturation", "status_storm"):
        total += sum((dig(run, phase, "errors") or {}).values())
    return total


def usable(run: Any) -> bool:
    return isinstance(run, dict) and bool(run) and "skipped" not in run
