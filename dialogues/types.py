"""What goes into the engine and what comes out: plain values, no channel in sight."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialogues.state import State


@dataclass(frozen=True, slots=True)
class Button:
    """The turn travels with the button so a tap on an old message can be recognised."""

    label: str
    value: str  # ASCII [a-z0-9_.-], at most 32 bytes: it travels in Telegram callback data
    turn: int  # the state's turn when the button was made; older turns are stale


@dataclass(frozen=True, slots=True)
class Reply:
    """The key is there so channels and tests can reason about a reply without its words."""

    key: str  # the locale key of the main text
    text: str  # Telegram-HTML: <b>/<i> from the locale files, user text escaped
    buttons: tuple[tuple[Button, ...], ...] = ()
    protect: bool = False  # shows report content or a receipt: no forwarding, no saving


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Press:
    turn: int
    value: str


@dataclass(frozen=True, slots=True)
class Unsupported:
    kind: str


Input = Command | Text | Press | Unsupported


@dataclass(frozen=True, slots=True)
class Draft:
    """A finished report as the student gave it; the channel hands it to storage, which
    seals it. Nothing in it identifies the chat."""

    lang: str
    phase: str
    story: str
    grounds: tuple[str, ...]
    when: str
    school: str
    workplace: str
    evidence: str
    evidence_note: str
    wants: str
    visibility: str
    danger: bool


@dataclass(frozen=True, slots=True)
class Submit:
    draft: Draft


@dataclass(frozen=True, slots=True)
class CheckStatus:
    code: str  # exactly 16 ASCII digits


@dataclass(frozen=True, slots=True)
class EraseChat:
    pass


Action = Submit | CheckStatus | EraseChat


@dataclass(frozen=True, slots=True)
class Outcome:
    """At most one action: the channel performs it, then reports back (submitted,
    status_result) so that nothing is told to the student before it is true."""

    state: State | None  # None: forget the conversation
    replies: tuple[Reply, ...]
    action: Action | None = None


@dataclass(frozen=True, slots=True)
class StatusFound:
    status: str  # received | in_progress | waiting | closed
    changed_on: datetime.date


@dataclass(frozen=True, slots=True)
class StatusNotFound:
    attempts_left: int


@dataclass(frozen=True, slots=True)
class StatusLocked:
    minutes: int


StatusResult = StatusFound | StatusNotFound | StatusLocked


@dataclass(frozen=True, slots=True)
class FlowContext:
    """The operator's choices, passed in so the engine never reads configuration itself."""

    schools: tuple[tuple[str, str], ...]  # (organization id, display name)
    visibility: tuple[str, ...] = ("school", "school_and_workplace", "network")
