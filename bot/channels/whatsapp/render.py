"""The engine's replies as WhatsApp messages, within the limits Meta documents.

- Up to 3 options with titles of at most 20 characters: reply buttons.
- More, or longer: a list message (at most 10 rows a message, titles at most 24,
  descriptions at most 72); more than 10 options take several list messages.
- An interactive body holds at most 1,024 characters: a longer text goes first as plain
  messages (at most 4,096 each), and the question itself rides with the options.
- Multiple choice (the grounds): the same list again after each toggle, the current
  selection spelled out in its body, and "next" as its last row.

A button's id is "<turn>:<value>", like Telegram's callback data, so a tap on an old
message is recognised as stale by the engine.
"""

from __future__ import annotations

import re
from typing import Any

from bot.channels.whatsapp.labels import BUTTON_TITLE, ROW_TITLE, Labels
from bot.channels.whatsapp.markup import split, tail_within, whatsapp_text
from dialogues import Button, Press, Reply, Texts

TEXT_MAX = 4096
BODY_MAX = 1024
MAX_BUTTONS = 3
MAX_ROWS = 10
_ID = re.compile(r"^(-?\d{1,9}):([a-z0-9_.-]{1,32})$")

Message = dict[str, Any]


def button_id(button: Button) -> str:
    return f"{button.turn}:{button.value}"


def press_of(reply_id: str) -> Press:
    """A tapped button or row; an id we never made is a stale press (turn -1)."""
    found = _ID.match(reply_id)
    if found is None:
        return Press(turn=-1, value="-")
    return Press(turn=int(found.group(1)), value=found.group(2))


def text_messages(html: str) -> list[Message]:
    return [
        {"type": "text", "text": {"body": piece, "preview_url": False}}
        for piece in split(whatsapp_text(html), TEXT_MAX)
    ]


class Renderer:
    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self.labels = Labels(texts)

    def messages(self, reply: Reply) -> list[Message]:
        buttons = [b for row in reply.buttons for b in row]
        if not buttons:
            return text_messages(reply.text)
        body = whatsapp_text(reply.text)
        chosen = [s for b in buttons if (s := self.labels.selected(b.label)) is not None]
        if chosen:
            shown = ", ".join(self.labels.short(c) for c in chosen)
            body = f"{body}\n\n{self.texts.get('wa_selected', labels=shown)}"
        head, body = tail_within(body, BODY_MAX)
        out = [m for piece in split(head, TEXT_MAX) for m in _text(piece)] if head else []
        if not body:
            body = self.texts.get("wa_pick_below")
        if self._fits_buttons(buttons):
            return [*out, self._buttons(body, buttons)]
        lists = [buttons[i : i + MAX_ROWS] for i in range(0, len(buttons), MAX_ROWS)]
        more = self.texts.get("wa_more_options")
        return [*out, *(self._list(body if i == 0 else more, rows) for i, rows in enumerate(lists))]

    def _fits_buttons(self, buttons: list[Button]) -> bool:
        if len(buttons) > MAX_BUTTONS:
            return False
        titles = [self.labels.short(b.label) for b in buttons]
        return all(len(t) <= BUTTON_TITLE for t in titles) and len(set(titles)) == len(titles)

    def _buttons(self, body: str, buttons: list[Button]) -> Message:
        return {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": body},
                "action": {
                    "buttons": [
                        {
                            "type": "reply",
                            "reply": {"id": button_id(b), "title": self.labels.short(b.label)},
                        }
                        for b in buttons
                    ]
                },
            },
        }

    def _list(self, body: str, buttons: list[Button]) -> Message:
        rows = []
        taken: set[str] = set()
        for b in buttons:
            label = self.labels.fit(b.label, ROW_TITLE)
            title = _unique(label.title, taken)
            row = {"id": button_id(b), "title": title}
            if label.description:
                row["description"] = label.description
            rows.append(row)
        return {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": body},
                "action": {
                    "button": self.texts.get("wa_list_button"),
                    "sections": [{"rows": rows}],
                },
            },
        }


def _text(piece: str) -> list[Message]:
    return [{"type": "text", "text": {"body": piece, "preview_url": False}}]


def _unique(title: str, taken: set[str]) -> str:
    """Row titles must differ (two long school names cut to the same 24 characters)."""
    candidate, n = title, 2
    while candidate in taken:
        suffix = f" {n}"
        candidate, n = title[: ROW_TITLE - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate
