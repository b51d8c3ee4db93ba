"""Meta's `Message` schema (the trimmed copy in spec/messages.json) as a JSON Schema
2020-12 validator, with the spec's known quirks (../shared/whatsapp-cloud-api/SOURCE.md)
handled here rather than edited into the copy:

- `allOf` members with `additionalProperties: false` reject each other's properties;
  the flag moves to the parent as `unevaluatedProperties: false`, which is what the
  authors meant (only properties no member knows are refused).
- `template.language.policy` is required by the schema but not by the API; it is made
  optional (the bot sends it anyway).
- Location coordinates are typed as strings but sent as numbers: both are accepted.

`recipient_type` stays required (the bot sends it), and the documented limits the
schema lacks are checked in `limits.py`.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).resolve().parent / "spec" / "messages.json"
BASE = "urn:whatsapp-cloud-api"


def _fix_all_of(node: Any) -> None:
    if isinstance(node, dict):
        members = node.get("allOf")
        if isinstance(members, list):
            closed = False
            for member in members:
                if isinstance(member, dict) and member.get("additionalProperties") is False:
                    del member["additionalProperties"]
                    closed = True
            if closed:
                node["unevaluatedProperties"] = False
        for value in node.values():
            _fix_all_of(value)
    elif isinstance(node, list):
        for value in node:
            _fix_all_of(value)


def _rebase(node: Any) -> Any:
    """#/components/schemas/X → urn:…#/$defs/X, so one resource holds them all."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/components/schemas/", f"{BASE}#/$defs/")
                if k == "$ref" and isinstance(v, str)
                else _rebase(v)
            )
            for k, v in node.items()
            if k not in ("discriminator", "example", "examples")
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def fixed_schemas(raw: dict[str, Any]) -> dict[str, Any]:
    schemas = copy.deepcopy(raw)
    _fix_all_of(schemas)
    language = schemas["LanguageObject"]
    language["required"] = [r for r in language.get("required", []) if r != "policy"]
    location = schemas.get("LocationMessage")
    if location is not None:
        for key in ("latitude", "longitude"):
            _loosen_number(location, key)
    return schemas


def _loosen_number(node: Any, key: str) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict) and v.get("type") == "string":
                v["type"] = ["string", "number"]
            else:
                _loosen_number(v, key)
    elif isinstance(node, list):
        for v in node:
            _loosen_number(v, key)


@functools.cache
def spec_copy() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return data


@functools.cache
def validator_for(kind: str) -> Draft202012Validator | None:
    """The validator of one message type (the `Message` discriminator's mapping: its
    `oneOf` alone would only say "not valid under any of the given schemas")."""
    data = spec_copy()
    mapping = data["schemas"][data["root"]]["discriminator"]["mapping"]
    target = mapping.get(kind)
    if target is None:
        return None
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE,
        "$defs": _rebase(fixed_schemas(data["schemas"])),
        "$ref": f"{BASE}#/$defs/{target.rsplit('/', 1)[-1]}",
    }
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(BASE, resource)
    return Draft202012Validator(document, registry=registry)


def schema_errors(body: object) -> list[str]:
    """What in `body` breaks Meta's Message schema, one line each."""
    kind = body.get("type") if isinstance(body, dict) else None
    validator = validator_for(kind) if isinstance(kind, str) else None
    if validator is None:
        return [f"type: {kind!r} is no message type of the spec"]
    errors = sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors]
