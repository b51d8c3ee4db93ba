"""Button labels at WhatsApp's length: reply buttons take 20 characters, list rows 24
(plus a 72-character description).

The engine's labels come from the locale files; where one is too long, a
`wa_<key>` text in the same file is the WhatsApp version ("# --- whatsapp ---" section).
A label is traced back to its key by its words (the engine's Button carries none), and
the two wrappers the engine puts around labels (`selected_mark`, `recommended`) are
seen through. What is still too long (an organization's name from config.yaml) is cut,
and its row gets the whole name as description.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.whatsapp.markup import plain
from dialogues import Texts

BUTTON_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
WRAPPERS = ("selected_mark", "recommended")
PREFIX = "wa_"


@dataclass(frozen=True)
class Label:
    title: str
    description: str = ""  # the full label, when the title is shorter than it


class Labels:
    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self.keys = {plain(texts.get(k)): k for k in sorted(texts.keys()) if _is_label(k)}

    def short(self, label: str) -> str:
        """The WhatsApp version of `label`, or `label` itself when it has none."""
        key = self.keys.get(label)
        if key is not None and self.texts.has(PREFIX + key):
            return self.texts.get(PREFIX + key)
        for wrapper in WRAPPERS:
            inner = self._unwrap(wrapper, label)
            if inner is not None:
                return self._wrap(wrapper, self.short(inner))
        return label

    def fit(self, label: str, limit: int) -> Label:
        short = self.short(label)
        if len(short) > limit:
            short = short[: limit - 1].rstrip() + "…"
        description = "" if short == label else label[:ROW_DESCRIPTION]
        return Label(short, description)

    def selected(self, label: str) -> str | None:
        """The option inside a `selected_mark` label; None if it is not selected."""
        return self._unwrap("selected_mark", label)

    def _unwrap(self, wrapper: str, label: str) -> str | None:
        before, found, after = self.texts.get(wrapper).partition("{label}")
        if not found or len(label) <= len(before) + len(after):
            return None
        if label.startswith(before) and label.endswith(after):
            return label[len(before) : len(label) - len(after)]
        return None

    def _wrap(self, wrapper: str, inner: str) -> str:
        key = PREFIX + wrapper if self.texts.has(PREFIX + wrapper) else wrapper
        return self.texts.get(key, label=inner)


def _is_label(key: str) -> bool:
    return key.startswith(("btn_", "opt_", "lang_name_"))
