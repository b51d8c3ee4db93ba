"""The Bot API spec: api.json (Bot API 10.1), topped up from aiogram's schema (10.2).

Loaded once per process per path (`load_spec` is cached). Type expressions are kept as the
spec writes them ("Integer", "Array of Array of InlineKeyboardButton", "InputFile"); a
field's `types` is the union of such expressions.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .limits import Rules, rules_for

PRIMITIVES = frozenset({"Integer", "Float", "String", "Boolean", "InputFile"})
VENDORED = Path(__file__).resolve().parent / "botapi" / "api.json"
BUTCHER_RELATIVE = Path("aiogram-butcher/schema.json")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str
    rules: Rules


@dataclass(frozen=True)
class ObjectSpec:
    """A method (its parameters) or a type (its fields, or its `subtypes` for a union)."""

    name: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    subtypes: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()

    @property
    def is_union(self) -> bool:
        return bool(self.subtypes)


@dataclass(frozen=True)
class Spec:
    version: str
    methods: dict[str, ObjectSpec]
    types: dict[str, ObjectSpec]
    sources: tuple[str, ...]
    _by_lower: dict[str, str] = field(repr=False, default_factory=dict)

    def method(self, name: str) -> ObjectSpec | None:
        """Looks a method up case-insensitively, as Telegram does."""
        canonical = self._by_lower.get(name.lower())
        return self.methods[canonical] if canonical else None


def array_item(expr: str) -> str | None:
    """`"Array of X"` → `"X"`; anything else → None."""
    return expr[len("Array of ") :] if expr.startswith("Array of ") else None


def default_spec_path() -> Path:
    """The copy of api.json kept in the repository, so a clean clone tests on its own.

    `tests/integration/channels/test_standin.py` checks it against the project's shared
    copy when that is present beside the checkout, so the two cannot drift apart unnoticed.
    """
    return VENDORED


@functools.cache
def _load(path: Path) -> Spec:
    data = json.loads(path.read_text(encoding="utf-8"))
    methods = {name: _from_api_json(raw) for name, raw in data["methods"].items()}
    types = {name: _from_api_json(raw) for name, raw in data["types"].items()}
    sources = [f"{path.name} ({data.get('version', '?')})"]
    butcher = path.parent / BUTCHER_RELATIVE
    if butcher.is_file():
        version = _merge_butcher(json.loads(butcher.read_text(encoding="utf-8")), methods, types)
        sources.append(f"aiogram schema.json (Bot API {version}) for what api.json lacks")
    by_lower = {name.lower(): name for name in methods}
    return Spec(str(data.get("version", "?")), methods, types, tuple(sources), by_lower)


def load_spec(path: Path | None = None) -> Spec:
    """The spec at `path` (default: `default_spec_path()`), parsed once per process."""
    resolved = (path or default_spec_path()).resolve()
    if not resolved.is_file():
        raise FileNotFoundError(f"Bot API spec not found at {resolved}")
    return _load(resolved)


def _field(name: str, types: tuple[str, ...], required: bool, description: str) -> FieldSpec:
    return FieldSpec(name, types, required, description, rules_for(types, description))


def _from_api_json(raw: dict[str, Any]) -> ObjectSpec:
    fields = {
        f["name"]: _field(f["name"], tuple(f["types"]), bool(f["required"]), f["description"])
        for f in raw.get("fields", [])
    }
    return ObjectSpec(
        raw["name"], fields, tuple(raw.get("subtypes", ())), tuple(raw.get("returns", ()))
    )


_LISTED_SUBTYPE = re.compile(r"^\s*-\s*([A-Z][A-Za-z0-9]+)\s*$", re.MULTILINE)


def _butcher_types(expr: str) -> tuple[str, ...]:
    """aiogram's schema writes unions as text: "Integer or String", "True", "Array of A,
    B and C"; turn that into api.json-style expressions."""
    expr = expr.strip()
    if expr == "True":
        return ("Boolean",)
    if expr.startswith("Array of "):
        inner = re.split(r",\s*|\s+and\s+|\s+or\s+", expr[len("Array of ") :])
        return tuple(f"Array of {t}" for item in inner for t in _butcher_types(item))
    parts = re.split(r"\s+or\s+", expr)
    return tuple("Boolean" if p == "True" else p for p in parts)


def _merge_butcher(
    schema: dict[str, Any], methods: dict[str, ObjectSpec], types: dict[str, ObjectSpec]
) -> str:
    """Adds methods, types and fields that only the newer aiogram schema knows."""
    for section in schema["items"]:
        for item in section["children"]:
            name = item["name"]
            target = methods if name[:1].islower() else types
            fields = {
                a["name"]: _field(
                    a["name"], _butcher_types(a["type"]), bool(a["required"]), a["description"]
                )
                for a in item.get("annotations", [])
            }
            known = target.get(name)
            if known is None:
                subtypes = () if fields else tuple(_LISTED_SUBTYPE.findall(item["description"]))
                target[name] = ObjectSpec(name, fields, subtypes)
                continue
            extra = {k: v for k, v in fields.items() if k not in known.fields}
            if extra:
                target[name] = ObjectSpec(
                    name, {**known.fields, **extra}, known.subtypes, known.returns
                )
    return str(schema.get("api", {}).get("version", "?"))
