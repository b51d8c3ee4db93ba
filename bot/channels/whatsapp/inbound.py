"""A webhook delivery's messages and status callbacks, as the channel needs them.

The sender's number (`from`, `wa_id`) is handed on only to be hashed at the door and to
address the answer; the profile name is never read. A reaction gets no input at all (no
reply fits a thumbs-up); other types the bot cannot read become `Unsupported`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp.errors import status_error_codes
from bot.channels.whatsapp.render import press_of
from dialogues import Attachment, Command, Input, Text, Unsupported

IGNORED = frozenset({"reaction", "system", "request_welcome"})


@dataclass(frozen=True)
class Incoming:
    sender: str  # the student's number: memory only, hashed at the door
    message_id: str
    timestamp: int
    input: Input | None  # None: nothing to answer (a reaction)


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str  # one of ours
    status: str  # sent | delivered | read | failed
    codes: tuple[int, ...] = ()


def read_delivery(
    payload: object, phone_number_id: str
) -> tuple[list[Incoming], list[StatusUpdate]]:
    """Messages oldest first (Meta may batch them out of order), and statuses."""
    messages: list[Incoming] = []
    statuses: list[StatusUpdate] = []
    for value in _values(payload):
        metadata = value.get("metadata")
        number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
        if str(number) != phone_number_id:
            continue  # another number of the same app: not ours to answer
        messages += [m for raw in _list(value, "messages") if (m := _message(raw)) is not None]
        statuses += [s for raw in _list(value, "statuses") if (s := _status(raw)) is not None]
    messages.sort(key=lambda m: m.timestamp)
    return messages, statuses


def _values(payload: object) -> list[dict[str, Any]]:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    out = []
    for entry in _list(payload, "entry"):
        for change in _list(entry, "changes"):
            value = change.get("value")
            if change.get("field") == "messages" and isinstance(value, dict):
                out.append(value)
    return out


def _list(node: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = node.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _message(raw: dict[str, Any]) -> Incoming | None:
    sender, message_id = raw.get("from"), raw.get("id")
    if not isinstance(sender, str) or not sender.isdigit() or not isinstance(message_id, str):
        return None
    stamp = str(raw.get("timestamp", "0"))
    return Incoming(sender, message_id, int(stamp) if stamp.isdigit() else 0, as_input(raw))


def as_input(raw: dict[str, Any]) -> Input | None:
    kind = str(raw.get("type", ""))
    found = raw.get(kind)
    body: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text":
        return _typed(str(body.get("body", "")))
    if kind == "interactive":
        chosen = body.get("button_reply") or body.get("list_reply") or {}
        return press_of(str(chosen.get("id", ""))) if isinstance(chosen, dict) else None
    if kind == "button":  # a template's quick reply: what it says, as if typed
        return Text(text=str(body.get("text", "")))
    if kind == "image":
        return Attachment("photo", str(body.get("id", "")), "foto.jpg", 0)
    if kind == "document":
        return Attachment("document", str(body.get("id", "")), _name(body), 0)
    if kind in IGNORED:
        return None
    return Unsupported(kind=kind or "unknown")


def _typed(text: str) -> Input:
    """Slash commands as on Telegram: students who know /status use it here too."""
    if text.startswith("/"):
        name, _, arg = text.partition(" ")
        return Command(name=name[1:].lower(), arg=arg.strip())
    return Text(text=text)


def _name(document: dict[str, Any]) -> str:
    name = document.get("filename")
    return name if isinstance(name, str) and name.strip() else "bestand"


def _status(raw: dict[str, Any]) -> StatusUpdate | None:
    message_id, status = raw.get("id"), raw.get("status")
    if not isinstance(message_id, str) or not isinstance(status, str):
        return None
    return StatusUpdate(message_id, status, status_error_codes(raw))
