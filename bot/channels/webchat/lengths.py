"""What the text box takes for the question on screen: how many characters, whether a
longer text may go in parts, whether a file may be added.

The numbers are the engine's own (a step's `max_length` in the flow, `MAX_REPLY` for an
answer to the adviser), capped by `web.max_text_chars`, so the page says the limit the
server will hold it to, before anything is sent. Parts only where the engine takes
several messages for one answer (the story); elsewhere a second part would answer the
next question.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dialogues import Reply
from dialogues.flow import Flow
from dialogues.status_screens import MAX_REPLY

STORY_KEYS = ("story_more", "story_added", "story_rewrite", "story_empty")
# While answering the adviser: the prompt, and the notes that leave the student there.
REPLY_KEYS = (
    "ask_reply",
    "reply_failed",
    "attachment_too_large",
    "attachment_wrong_type",
    "attachment_unreadable",
)


@dataclass(frozen=True)
class Box:
    limit: int
    parts: bool = False  # a longer text may be sent as several messages
    files: bool = False  # the engine accepts an attachment now


class Lengths:
    def __init__(self, flow: Flow, cap: int) -> None:
        self.by_key: dict[str, Box] = {}
        for step in flow.steps:
            if step.kind not in ("text", "story"):
                continue
            box = Box(min(step.max_length, cap), parts=step.kind == "story")
            self.by_key[f"ask_{step.id}"] = box
            if step.kind == "story":
                self.by_key.update(dict.fromkeys(STORY_KEYS, box))
        self.by_key.update(dict.fromkeys(REPLY_KEYS, Box(min(MAX_REPLY, cap), files=True)))
        self.default = Box(max((b.limit for b in self.by_key.values()), default=cap))

    def after(self, replies: Iterable[Reply]) -> Box:
        """The box for the last reply that asks for text; otherwise the widest limit."""
        found = self.default
        for reply in replies:
            found = self.by_key.get(reply.key, found)
        return found
