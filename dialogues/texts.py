"""Every word a student reads, per language, from dialogues/locales/<lang>.yaml.

Loaded with the one locale loader (`vocabulary.locales`): a broken file or translation
stops the service at start-up, and so does a key the engine needs that Dutch lacks
(`dialogues/checks.py`); a key a translation lacks falls back to Dutch. What is
particular to the students' texts is checked here, on every text as it is read:
Telegram-HTML with <b> and <i> only, balanced, so Telegram never refuses a message
mid-conversation.
"""

from __future__ import annotations

import re
from pathlib import Path

from vocabulary import locales
from vocabulary.locales import DEFAULT, Texts, placeholders

__all__ = [
    "DEFAULT",
    "LOCALES",
    "Texts",
    "check_html",
    "lang_from_hint",
    "load_texts",
    "placeholders",
]

LOCALES = Path(__file__).resolve().parent / "locales"
ALLOWED_TAGS = frozenset({"b", "i"})
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def lang_from_hint(hint: str | None) -> str:
    """Telegram's language_code ("en-GB", "nl", "tr") to one we speak; Dutch first."""
    return "en" if hint and hint.strip().lower().startswith("en") else DEFAULT


def load_texts(directory: Path = LOCALES, *, strict: bool = False) -> dict[str, Texts]:
    """strict: no fallback to Dutch, so a test sees every key a translation lacks."""
    return locales.load_texts(directory.glob("*.yaml"), check=check_html, strict=strict)


def check_html(text: str) -> None:
    """Raises ValueError unless `text` is Telegram-HTML that uses only <b> and <i>."""
    open_tags: list[str] = []
    rest = _TAG.sub("", text)
    if "<" in rest or ">" in rest:
        raise ValueError("a bare < or > (write &lt; or &gt;)")
    if "&" in _ENTITY.sub("", text):
        raise ValueError("a bare & (write &amp;)")
    for closing, name in _TAG.findall(text):
        if name not in ALLOWED_TAGS:
            raise ValueError(f"<{name}> is not allowed: only <b> and <i>")
        if not closing:
            if name in open_tags:
                raise ValueError(f"<{name}> inside <{name}>")
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            raise ValueError(f"</{name}> closes nothing")
    if open_tags:
        raise ValueError(f"<{open_tags[-1]}> is never closed")
