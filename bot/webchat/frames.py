"""The web chat's wire format, both ways, as JSON text frames.

From the page: {"type": "text", "text": "..."} or {"type": "press", "turn": 7,
"value": "no"}. Anything else is refused with a message key, never an exception: a
malformed frame changes nothing.

To the page: "texts" (the page's own words in the conversation's language), "turn"
(the engine's replies), "notice" (a note from the channel: too long, too fast, not
understood), "ended" (the session is gone).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.turns import TurnResult
from bot.webchat.markup import receipt_code, runs
from dialogues import Command, Input, Press, Reply, Text, Texts
from dialogues.keys import WEB_KEYS

VALUE = re.compile(r"^[a-z0-9_.-]{1,32}$")
MAX_TURN = 2**31 - 1


@dataclass(frozen=True)
class Refusal:
    key: str
    values: dict[str, object] = field(default_factory=dict)


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


def reply(r: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": r.key,
        "runs": runs(r.text),
        "buttons": [
            [{"label": b.label, "value": b.value, "turn": b.turn} for b in row] for row in r.buttons
        ],
    }
    if r.key == "receipt":
        out["code"] = receipt_code(r.text)
    return out


def turn(result: TurnResult, texts: Texts, *, resumed: bool = False) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "turn",
        "replies": [reply(r) for r in result.replies],
        "replace": result.replace_question,
        "hide_input": result.hide_input,
        "resumed": resumed,
    }
    if result.erase_chat:
        frame["erase"] = True
        frame["replies"] = [reply(Reply("chat_erased", texts.get("chat_erased")))] + frame[
            "replies"
        ]
    return frame


def notice(texts: Texts, key: str, **values: object) -> dict[str, Any]:
    return {"type": "notice", "reply": reply(Reply(key, texts.get(key, **values)))}


def page_texts(texts: Texts) -> dict[str, Any]:
    return {
        "type": "texts",
        "lang": texts.lang,
        "texts": {key: texts.get(key) for key in sorted(WEB_KEYS)},
    }


def ended(texts: Texts) -> dict[str, Any]:
    gone = Reply("web_session_ended", texts.get("web_session_ended"))
    return {"type": "ended", "reply": reply(gone)}
