"""The conversation, channel-neutral: flows as data, texts per language, a pure engine.

Channels code against the names exported here; everything else is the engine's own.
"""

from dialogues.engine import Engine
from dialogues.keys import CHANNEL_KEYS, COMMANDS
from dialogues.receipt import format_code, normalize_code
from dialogues.state import State
from dialogues.texts import Texts, lang_from_hint
from dialogues.types import (
    Action,
    Button,
    CheckStatus,
    Command,
    Draft,
    EraseChat,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    Submit,
    Text,
    Unsupported,
)

__all__ = [
    "CHANNEL_KEYS",
    "COMMANDS",
    "Action",
    "Button",
    "CheckStatus",
    "Command",
    "Draft",
    "Engine",
    "EraseChat",
    "FlowContext",
    "Input",
    "Outcome",
    "Press",
    "Reply",
    "State",
    "StatusFound",
    "StatusLocked",
    "StatusNotFound",
    "StatusResult",
    "Submit",
    "Text",
    "Texts",
    "Unsupported",
    "format_code",
    "lang_from_hint",
    "normalize_code",
]
