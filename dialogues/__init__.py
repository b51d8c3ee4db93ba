"""The conversation, channel-neutral: flows as data, texts per language, a pure engine.

Channels code against the names exported here; everything else is the engine's own.
"""

from dialogues.engine import AFTER_FILING, Engine
from dialogues.followup import MAX_ATTACHMENT
from dialogues.keys import CHANNEL_KEYS, COMMANDS
from dialogues.state import State
from dialogues.texts import Texts, lang_from_hint
from dialogues.types import (
    EVENTS,
    Action,
    Attachment,
    Button,
    CheckStatus,
    Command,
    Draft,
    DrawReceipt,
    EraseChat,
    FlowContext,
    Input,
    Outcome,
    Press,
    Reply,
    ReplyResult,
    SendAttachment,
    SendReply,
    StatusExpired,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    StatusResult,
    Submit,
    Text,
    ThreadEntry,
    Unsupported,
    Withdraw,
    WithdrawResult,
)

__all__ = [
    "AFTER_FILING",
    "CHANNEL_KEYS",
    "COMMANDS",
    "EVENTS",
    "MAX_ATTACHMENT",
    "Action",
    "Attachment",
    "Button",
    "CheckStatus",
    "Command",
    "Draft",
    "DrawReceipt",
    "Engine",
    "EraseChat",
    "FlowContext",
    "Input",
    "Outcome",
    "Press",
    "Reply",
    "ReplyResult",
    "SendAttachment",
    "SendReply",
    "State",
    "StatusExpired",
    "StatusFound",
    "StatusLocked",
    "StatusNotFound",
    "StatusResult",
    "Submit",
    "Text",
    "Texts",
    "ThreadEntry",
    "Unsupported",
    "Withdraw",
    "WithdrawResult",
    "lang_from_hint",
]
