"""Writes `messages.json`: the schemas of Meta's WhatsApp Cloud API spec that a request to
`POST /{Version}/{Phone-Number-ID}/messages` is checked against (the `Message` schema and
everything it refers to), copied verbatim from the 1 MB OpenAPI file.

    .venv/bin/python -m standins.whatsapp.spec.trim ../shared/whatsapp-cloud-api/\
business-messaging-api_v23.0.yaml

The quirks of the spec are handled where the copy is read (`standins/whatsapp/
schema.py`), so this copy stays Meta's own words;
`tests/unit/standins/test_whatsapp_standin.py` checks it still matches the shared full spec
when that is present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "messages.json"
ROOT_SCHEMA = "Message"
PATH = "/{Version}/{Phone-Number-ID}/messages"


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def closure(schemas: dict[str, Any], root: str = ROOT_SCHEMA) -> dict[str, Any]:
    """`root` and every schema it refers to, directly or not."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo.extend(found - seen)
    return {name: schemas[name] for name in sorted(seen)}


def trimmed(spec: dict[str, Any]) -> dict[str, Any]:
    examples = spec["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]
    return {
        "source": "facebook/openapi business-messaging-api_v23.0.yaml (MIT, see LICENSE)",
        "openapi": spec["openapi"],
        "version": spec["info"].get("version", "?"),
        "root": ROOT_SCHEMA,
        "schemas": closure(spec["components"]["schemas"]),
        "examples": {k: v["value"] for k, v in examples.get("examples", {}).items()},
    }


def load_full(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.load(f, Loader=loader)  # a safe loader (C if built)
    return data


def main(argv: list[str]) -> None:
    data = trimmed(load_full(Path(argv[1])))
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(data['schemas'])} schemas, {len(data['examples'])} examples)")


if __name__ == "__main__":
    main(sys.argv)
