"""Checks decoded parameters (and nested objects) against the spec.

Form values arrive as strings; `decode_param` reads each one the way the spec types it
(JSON for objects and arrays, numbers, "true"/"false") and keeps the first reading that
validates. Objects are checked field by field, unions (a field's list of types, or a
type's `subtypes`) accept a value that validates as any member.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .html_check import HtmlError, parse_html
from .records import Upload
from .spec import PRIMITIVES, FieldSpec, ObjectSpec, Spec, array_item

PARSE_MODES = ("html", "markdown", "markdownv2")
_INTEGER = re.compile(r"[+-]?\d+")


class Invalid(ValueError):
    """One reason a value does not fit; `path` locates it ("reply_markup.inline_keyboard[0]")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

    @property
    def depth(self) -> int:
        return self.path.count(".") + self.path.count("[") + (1 if self.path else 0)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, Upload) else "<file>"
    return text if len(text) <= 60 else text[:57] + "..."


def visible_text(text: str, parse_mode: Any) -> str:
    """`text` as shown to the user: tags stripped and entities decoded for HTML."""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        return parse_html(text).text
    return text


class Checker:
    """Validation of one call. `attachments` are the names of uploaded file parts."""

    def __init__(self, spec: Spec, attachments: frozenset[str] = frozenset()) -> None:
        self.spec = spec
        self.attachments = attachments

    # --- top level -----------------------------------------------------------------------

    def check_call(self, method: ObjectSpec, raw: Mapping[str, Any], out: dict[str, Any]) -> None:
        """Decodes `raw` into `out` (a value that cannot be decoded stays raw), then raises
        the first problem: unknown parameter, missing one, wrong type, broken rule."""
        problems: list[Invalid] = []
        for name, value in raw.items():
            field = method.fields.get(name)
            if field is None:
                out[name] = value
                problems.append(Invalid(name, f"unknown parameter of {method.name}"))
                continue
            try:
                out[name] = self.decode_param(value, field)
            except Invalid as exc:
                out[name] = value
                problems.append(exc)
        missing = [n for n, f in method.fields.items() if f.required and n not in raw]
        problems[:0] = [
            Invalid(n, f"required parameter of {method.name} is missing") for n in missing
        ]
        problems.sort(key=lambda p: "unknown parameter" not in p.message)
        if problems:
            raise problems[0]
        for name, value in out.items():
            self._rules(method, method.fields[name], value, out, name)
        if isinstance(kinds := out.get("allowed_updates"), list):
            known = set(self.spec.types["Update"].fields) - {"update_id"}
            for index, kind in enumerate(kinds):
                if kind not in known:
                    raise Invalid(f"allowed_updates[{index}]", f"{kind!r} is no field of Update")

    def decode_param(self, raw: Any, spec: FieldSpec) -> Any:
        """A form value (str or Upload) read as the spec types it, and validated."""
        failures: list[tuple[tuple[int, int], Invalid]] = []
        for expr in spec.types:
            try:
                value = self._read(raw, expr, spec.name)
            except Invalid as exc:
                failures.append(((-1, 0), exc))
                continue
            try:
                self.check(value, (expr,), spec.name)
            except Invalid as exc:
                failures.append((self._affinity(value, expr), exc))
                continue
            return value
        raise _best(failures)

    def _read(self, raw: Any, expr: str, path: str) -> Any:
        if isinstance(raw, Upload):
            if expr == "InputFile":
                return raw
            raise Invalid(path, f"a file upload where {expr} is expected")
        if expr in ("String", "InputFile"):
            return raw
        if expr == "Integer":
            if _INTEGER.fullmatch(raw.strip()):
                return int(raw)
            raise Invalid(path, f"expected Integer, got {_short(raw)}")
        if expr == "Float":
            try:
                return float(raw)
            except ValueError:
                raise Invalid(path, f"expected Float, got {_short(raw)}") from None
        if expr == "Boolean":
            if raw.lower() in ("true", "false"):
                return raw.lower() == "true"
            raise Invalid(path, f"expected Boolean (true/false), got {_short(raw)}")
        try:
            return json.loads(raw)
        except ValueError:
            raise Invalid(path, f"expected JSON-serialized {expr}, got {_short(raw)}") from None

    def check_fields(self, spec: ObjectSpec, values: Mapping[str, Any], path: str = "") -> None:
        """Unknown and missing fields, each field's type, then the prose rules."""
        for name in values:
            if name not in spec.fields:
                raise Invalid(_join(path, name), f"unknown field of {spec.name}")
        for name, field in spec.fields.items():
            if field.required and name not in values:
                raise Invalid(_join(path, name), f"required by {spec.name} but missing")
        for name, value in values.items():
            self.check(value, spec.fields[name].types, _join(path, name))
        for name, value in values.items():
            self._rules(spec, spec.fields[name], value, values, _join(path, name))

    # --- values --------------------------------------------------------------------------

    def check(self, value: Any, types: tuple[str, ...], path: str) -> None:
        if len(types) == 1:
            self._check_one(value, types[0], path)
            return
        kinds = self._kinds(types)
        if kinds and isinstance(value, dict) and value.get("type") not in kinds:
            got = _short(value.get("type"))
            raise Invalid(_join(path, "type"), f"must be one of {sorted(kinds)}, got {got}")
        failures: list[tuple[tuple[int, int], Invalid]] = []
        for expr in types:
            try:
                self._check_one(value, expr, path)
            except Invalid as exc:
                failures.append((self._affinity(value, expr), exc))
                continue
            return
        raise _best(failures)

    def _check_one(self, value: Any, expr: str, path: str) -> None:
        item = array_item(expr)
        if item is not None:
            if not isinstance(value, list):
                raise Invalid(path, f"expected {expr}, got {_short(value)}")
            for index, element in enumerate(value):
                self._check_one(element, item, f"{path}[{index}]")
            return
        if expr in PRIMITIVES:
            self._primitive(value, expr, path)
            return
        spec = self.spec.types.get(expr)
        if spec is None:
            raise Invalid(path, f"the spec has no type {expr}")
        if spec.is_union:
            self.check(value, spec.subtypes, path)
            return
        if not isinstance(value, dict):
            raise Invalid(path, f"expected {expr} (a JSON object), got {_short(value)}")
        if spec.fields:
            self.check_fields(spec, value, path)

    def _primitive(self, value: Any, expr: str, path: str) -> None:
        ok = {
            "Integer": isinstance(value, int) and not isinstance(value, bool),
            "Float": isinstance(value, int | float) and not isinstance(value, bool),
            "String": isinstance(value, str),
            "Boolean": isinstance(value, bool),
            "InputFile": isinstance(value, Upload | str),
        }[expr]
        if not ok:
            raise Invalid(path, f"expected {expr}, got {_short(value)}")
        if isinstance(value, str) and value.startswith("attach://") and expr == "InputFile":
            name = value[len("attach://") :]
            if name not in self.attachments:
                raise Invalid(path, f"refers to {value} but no file part {name!r} was sent")

    def _kinds(self, types: tuple[str, ...]) -> set[str] | None:
        """The "type" values a union of object types admits, when every member has one."""
        kinds: set[str] = set()
        for expr in types:
            spec = self.spec.types.get(expr)
            if spec is None:
                return None
            if spec.is_union:
                inner = self._kinds(spec.subtypes)
                if inner is None:
                    return None
                kinds |= inner
                continue
            kind = spec.fields.get("type")
            if kind is None or not kind.rules.choices:
                return None
            kinds.update(kind.rules.choices)
        return kinds

    def _affinity(self, value: Any, expr: str) -> tuple[int, int]:
        """How well `value` resembles `expr`, to report the most telling union failure."""
        if array_item(expr) is not None:
            return (1 if isinstance(value, list) else 0, 0)
        spec = self.spec.types.get(expr)
        if spec is None or not isinstance(value, dict):
            return (0, 0)
        if spec.is_union:
            return max((self._affinity(value, sub) for sub in spec.subtypes), default=(0, 0))
        kind = spec.fields.get("type")
        if kind is not None and kind.rules.choices and "type" in value:
            if value["type"] not in kind.rules.choices:
                return (0, 0)
            return (3, len(value))
        return (2, sum(1 for key in value if key in spec.fields))

    # --- rules from descriptions -----------------------------------------------------------

    def _rules(
        self,
        owner: ObjectSpec,
        field: FieldSpec,
        value: Any,
        siblings: Mapping[str, Any],
        path: str,
    ) -> None:
        rules = field.rules
        if isinstance(value, str):
            mode_name = _parse_mode_field(owner, field)
            mode = siblings.get(mode_name) if mode_name else None
            counted = value
            if isinstance(mode, str) and mode:
                if mode.lower() not in PARSE_MODES:
                    parent = path.rpartition(".")[0]
                    raise Invalid(
                        _join(parent, mode_name or ""), f"unsupported parse_mode {mode!r}"
                    )
                if mode.lower() == "html":
                    try:
                        counted = parse_html(value).text
                    except HtmlError as exc:
                        raise Invalid(path, f"can't parse entities: {exc}") from None
            if rules.length is not None:
                low, high = rules.length
                size = len(counted.encode("utf-8")) if rules.in_bytes else len(counted)
                unit = "bytes" if rules.in_bytes else "characters"
                after = " after entities parsing" if rules.after_parsing else ""
                if not low <= size <= high:
                    raise Invalid(path, f"is {size} {unit}{after}; {low}-{high} {unit} allowed")
                if rules.after_parsing and low > 0 and not counted.strip():
                    raise Invalid(path, "is empty after entities parsing")
            if rules.pattern is not None and not re.fullmatch(rules.pattern, value):
                raise Invalid(path, f"{_short(value)} does not match {rules.pattern}")
            if rules.choices is not None and value not in rules.choices:
                raise Invalid(path, f"must be one of {list(rules.choices)}, got {_short(value)}")
        if isinstance(value, list) and rules.items is not None:
            low, high = rules.items
            if not low <= len(value) <= high:
                raise Invalid(path, f"has {len(value)} items; {low}-{high} allowed")


def _parse_mode_field(owner: ObjectSpec, field: FieldSpec) -> str | None:
    """The sibling that sets how `field` is parsed: "<name>_parse_mode", else "parse_mode"
    for text-like fields."""
    own = f"{field.name}_parse_mode"
    if own in owner.fields:
        return own
    text_like = field.rules.after_parsing or field.name in ("text", "caption", "message_text")
    if text_like and "parse_mode" in owner.fields:
        return "parse_mode"
    return None


def _best(failures: list[tuple[tuple[int, int], Invalid]]) -> Invalid:
    """The failure of the union member the value most resembles (then: the deepest)."""
    return max(failures, key=lambda f: (f[0], f[1].depth))[1]
