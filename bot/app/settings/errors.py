"""One error style for both config files: a line naming the file (for the network's
directory), the key and the fix, because the person reading it is an operator or a
coordinator at a school, not a Python developer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


class ConfigError(Exception):
    """A config mistake an operator can fix: the key and how to fix it, on one line.

    `key` is the key's path inside its file; `file` names the file when it is not
    config.yaml itself (the network's directory), so the line says where to look."""

    def __init__(self, key: str, fix: str, file: str | None = None) -> None:
        super().__init__(f"{file}: {key}: {fix}" if file else f"{key}: {fix}")
        self.key = key
        self.fix = fix
        self.file = file


class SectionError(ValueError):
    """Raised by a section's own cross-field check: `key` is relative to the section
    (empty: the section itself); pydantic adds where the section sits."""

    def __init__(self, key: str, fix: str) -> None:
        super().__init__(fix)
        self.key = key
        self.fix = fix


def read_yaml(path: Path, key: str, fix_missing: str, what: str) -> dict[str, Any]:
    """The file's mapping; ConfigError(key) when it is missing, broken or not a mapping."""
    if not path.exists():
        raise ConfigError(key, f"{path} does not exist; {fix_missing}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        raise ConfigError(str(path), f"is not valid YAML ({where}); check indentation") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), f"must be a mapping of sections such as {what}")
    return data


def explain(exc: ValidationError, file: str | None = None) -> ConfigError:
    """The first problem pydantic found, worded for the person who edits `file`."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, SectionError):
        return ConfigError(
            ".".join([*loc, *filter(None, [cause.key])]) or "config", cause.fix, file
        )
    key = ".".join(loc) or "config"
    shipped = "network.yaml" if file else "config.yaml"  # the example files in the repository
    return ConfigError(key, _fix(key, err["type"], err["msg"], shipped), file)


def _fix(key: str, kind: str, msg: str, shipped: str) -> str:
    if kind == "extra_forbidden":
        return f"unknown key; remove it or check its spelling against {shipped}"
    if kind == "missing":
        return "is required; add it"
    if kind == "string_pattern_mismatch" and key.endswith(".kvk"):
        return 'must be the 8 digits of a KvK number, in quotes: "12345678"'
    if kind == "greater_than_equal" and key == "patterns.threshold":
        return "must be at least 2: one report is one student's word, not a pattern"
    if kind == "string_pattern_mismatch":
        return "must be a short id of lower-case letters, digits and dashes (max 31)"
    return f"{msg[:1].lower()}{msg[1:]}"
