"""The web chat's wire format, both ways, as JSON text frames.

From the page: {"type": "text", "text": "..."} or {"type": "press", "turn": 7,
"value": "no"}, each with an optional "id" the answer carries back (`ack` on a turn,
`refused` on a notice), so the page knows which message arrived and which did not.
Anything else is refused with a message key, never an exception: a malformed frame
changes nothing.

To the page: "texts" (the page's own words in the conversation's language), "turn"
(the engine's replies, and what the text box takes next: `box`), "notice" (a note from
the channel: too long, too fast, not understood), "ended" (the session is gone).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.channels.webchat.lengths import Box
from bot.channels.webchat.markup import Run, receipt_code, runs
from bot.intake.turns import TurnResult
from dialogues import Button, Command, Input, Press, Reply, Text, Texts
from dialogues.required_keys import WEB_KEYS

VALUE = re.compile(r"^[a-z0-9_.-]{1,32}$")
MAX_TURN = 2**31 - 1
ADVANCE = frozenset({"next", "done"})  # the engine's own "go on" buttons, not answers


@dataclass(frozen=True)
class Refusal:
    key: str
    values: dict[str, object] = field(default_factory=dict)


def frame_id(raw: str | bytes | None) -> int | None:
    """The page's number for this frame, if it gave a sane one; anything else: none."""
    if not isinstance(raw, str):
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    found = frame.get("id") if isinstance(frame, dict) else None
    if isinstance(found, bool) or not isinstance(found, int) or not 0 <= found <= MAX_TURN:
        return None
    return found


def parse(raw: str | bytes | None, *, max_chars: int) -> Input | Refusal:
    if not isinstance(raw, str):
        return Refusal("web_bad_frame")
    try:
        frame = json.loads(raw)
    except ValueError:
        return Refusal("web_bad_frame")
    if not isinstance(frame, dict):
        return Refusal("web_bad_frame")
    kind = frame.get("type")
    if kind == "text":
        return _text(frame.get("text"), max_chars)
    if kind == "press":
        return _press(frame.get("turn"), frame.get("value"))
    return Refusal("web_bad_frame")


def _text(text: object, max_chars: int) -> Input | Refusal:
    if not isinstance(text, str) or not text.strip():
        return Refusal("web_bad_frame")
    if len(text) > max_chars:
        return Refusal("text_too_long", {"limit": max_chars})
    stripped = text.strip()
    if stripped.startswith("/"):
        name, _, arg = stripped[1:].partition(" ")
        return Command(name=name.lower(), arg=arg.strip())
    return Text(text=text)


def _press(turn: object, value: object) -> Input | Refusal:
    if isinstance(turn, bool) or not isinstance(turn, int) or not 0 <= turn <= MAX_TURN:
        return Refusal("web_bad_frame")
    if not isinstance(value, str) or not VALUE.fullmatch(value):
        return Refusal("web_bad_frame")
    return Press(turn=turn, value=value)


Mark = tuple[str, str]  # what the engine puts before and after a chosen option's label
NO_MARK: Mark = ("", "")


def reply(r: Reply, mark: Mark = NO_MARK) -> dict[str, Any]:
    """`mark`: the engine's wrapping of a chosen option ("✓ " … " (gekozen)"). In a
    multi-select question (one with "next") it becomes `pressed`, so the page can say
    aria-pressed, and the label is shown without it."""
    toggles = mark != NO_MARK and any(b.value == "next" for row in r.buttons for b in row)
    out: dict[str, Any] = {
        "key": r.key,
        "runs": runs(r.text),
        "buttons": [[_button(b, mark if toggles else NO_MARK) for b in row] for row in r.buttons],
    }
    if r.key == "receipt":
        out["code"] = receipt_code(r.text)
        if out["code"]:
            out["runs"], out["after"] = _around(out["runs"], out["code"])
    return out


def _around(all_runs: list[Run], code: str) -> tuple[list[Run], list[Run]]:
    """The receipt's runs before and after its code. The page shows the code once, in
    its copy box between the two, never also in the text: one code, said once."""
    for i, (text, style) in enumerate(all_runs):
        if code in text:
            head, _, tail = text.partition(code)
            before = [r for r in [*all_runs[:i], (head, style)] if r[0]]
            after = [r for r in [(tail, style), *all_runs[i + 1 :]] if r[0]]
            if before:
                before[-1] = (before[-1][0].rstrip("\n"), before[-1][1])
            if after:
                after[0] = (after[0][0].lstrip("\n"), after[0][1])
            return [r for r in before if r[0]], [r for r in after if r[0]]
    return all_runs, []


def _button(b: Button, mark: Mark) -> dict[str, Any]:
    out: dict[str, Any] = {"label": b.label, "value": b.value, "turn": b.turn}
    if b.value in ADVANCE:
        out["advance"] = True
    elif mark != NO_MARK:
        before, after = mark
        pressed = (
            len(b.label) > len(before) + len(after)
            and b.label.startswith(before)
            and b.label.endswith(after)
        )
        out["pressed"] = pressed
        if pressed:
            out["label"] = b.label[len(before) : len(b.label) - len(after)]
    return out


def selected_mark(texts: Texts) -> Mark:
    """The text around a chosen option's label, from the locale's `selected_mark`
    ("✓ {label} (gekozen)"): both sides, so a suffix is recognised and taken off too."""
    before, _, after = texts.get("selected_mark", label="\x00").partition("\x00")
    return before, after


def turn(
    result: TurnResult,
    texts: Texts,
    *,
    resumed: bool = False,
    box: Box | None = None,
    ack: int | None = None,
    intro: bool = False,
) -> dict[str, Any]:
    """`intro`: the welcome (what is kept, who reads it) is sent along, for a page that
    reloads mid-way and would otherwise have lost it."""
    mark = selected_mark(texts)
    frame: dict[str, Any] = {
        "type": "turn",
        "replies": [reply(r, mark) for r in result.replies],
        "replace": result.replace_question,
        "hide_input": result.hide_input,
        "resumed": resumed,
    }
    if box is not None:
        frame["box"] = {"limit": box.limit, "parts": box.parts, "files": box.files}
    if ack is not None:
        frame["ack"] = ack
    if intro and not any(r.key == "welcome" for r in result.replies):
        frame["intro"] = reply(Reply("welcome", texts.get("welcome")))
    if result.erase_chat:
        frame["erase"] = True
        frame["replies"] = [reply(Reply("chat_erased", texts.get("chat_erased")))] + frame[
            "replies"
        ]
    return frame


def notice(
    texts: Texts,
    key: str,
    values: dict[str, object] | None = None,
    *,
    refused: int | None = None,
    repeat: bool = False,
) -> dict[str, Any]:
    """`refused`: the id of the page's frame that was not taken (its text goes back in
    the box); `repeat`: the same note was just said, the page need not say it again."""
    text = texts.get(key, **(values or {}))
    frame: dict[str, Any] = {"type": "notice", "reply": reply(Reply(key, text))}
    if refused is not None:
        frame["refused"] = refused
    if repeat:
        frame["repeat"] = True
    return frame


def page_texts(texts: Texts) -> dict[str, Any]:
    return {
        "type": "texts",
        "lang": texts.lang,
        "texts": {key: texts.get(key) for key in sorted(WEB_KEYS)},
    }


def ended(texts: Texts) -> dict[str, Any]:
    gone = Reply("web_session_ended", texts.get("web_session_ended"))
    return {"type": "ended", "reply": reply(gone)}
