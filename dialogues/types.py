"""What goes into the engine and what comes out: plain values, no channel in sight."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from vocabulary import ThreadEvent

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


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or file the channel received; the engine only ever sees the channel's handle
    (`ref`, e.g. a Telegram file_id), never the bytes."""

    kind: str  # photo | document | ...
    ref: str
    name: str
    size: int  # bytes, as the channel reports it


Input = Command | Text | Press | Unsupported | Attachment


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
    threat: bool = False  # not in danger now, but threatened or met with violence
    workplace_org: str = ""  # the workplace organization picked from the config, or ""
    recognised: str = ""  # yes | no | unknown; "" when not asked (not mbo, or not consented)
    sector: str = ""  # the internship's sector (vocabulary.SECTORS), "" when skipped
    workplace_town: str = ""  # typed with a typed workplace name; sealed like the name
    workplace_kvk: str = ""  # 8 digits (format-checked: a KvK number has no check digit)
    pattern_consent: bool = False  # "yes" to matching: only then is the company hashed


@dataclass(frozen=True, slots=True)
class DrawReceipt:
    """Submit was pressed: the channel draws a receipt code and hands it back
    (`Engine.receipt_drawn`), which shows it before anything is filed."""

    push: bool = False


@dataclass(frozen=True, slots=True)
class Submit:
    """ "I have saved my code": file the draft under that code (the student holds it)."""

    draft: Draft
    push: bool = False  # the student asked for a content-free nudge in this chat on news
    receipt: str = ""  # the 16 digits shown on the receipt screen


@dataclass(frozen=True, slots=True)
class CheckStatus:
    """Exactly one of code (typed by the student: 16 ASCII digits) and token (the report
    this visit already opened with a correct code) is set."""

    code: str = ""
    token: str = ""

    def __post_init__(self) -> None:
        if bool(self.token) == bool(self.code):
            raise ValueError("CheckStatus needs exactly one of code and token")


@dataclass(frozen=True, slots=True)
class EraseChat:
    pass


@dataclass(frozen=True, slots=True)
class SendReply:
    """The student's answer to their adviser; the channel seals it for the recipients."""

    token: str
    text: str


@dataclass(frozen=True, slots=True)
class SendAttachment:
    token: str
    ref: str
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Exactly one of token (from a status view) and code (typed by the student) is set."""

    token: str = ""
    code: str = ""

    def __post_init__(self) -> None:
        if bool(self.token) == bool(self.code):
            raise ValueError("Withdraw needs exactly one of token and code")


@dataclass(frozen=True, slots=True)
class GiveEvaluation:
    """The student's feedback on a closed report's follow-up (issue 12): saved once,
    the score in the clear for the figures, the text sealed to the network's
    coordinators. `token` comes from the status view (`StatusFound.feedback_token`)."""

    token: str
    score: int = 0  # 1-5; 0: not given
    text: str = ""  # "what could be better"; "" when skipped
    quote: bool = False  # the student allowed quoting the text anonymously


@dataclass(frozen=True, slots=True)
class AllowShare:
    """From a status view of a report in a company pattern: the student lets their
    adviser share the report itself with `target` (network | sbb)."""

    token: str
    target: str


Action = (
    DrawReceipt
    | Submit
    | CheckStatus
    | EraseChat
    | SendReply
    | SendAttachment
    | Withdraw
    | GiveEvaluation
    | AllowShare
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """At most one action: the channel performs it, then reports back (submitted,
    status_result) so that nothing is told to the student before it is true."""

    state: State | None  # None: forget the conversation
    replies: tuple[Reply, ...]
    action: Action | None = None


AUTHORS = ("adviser", "student", "event")
EVENTS = tuple(e.value for e in ThreadEvent)


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One line of a report's conversation as the student may see it.

    adviser/student entries carry raw text typed by a person: the engine escapes it.
    event entries carry only a code (see EVENTS), worded by the locale files, so a
    hand-over is told in general terms and never names who took the report over."""

    author: str  # adviser | student | event
    text: str  # raw user text ("" for events)
    event: str  # an EVENTS code for author "event", else ""
    on: datetime.date
    file: str = ""  # raw name of a file sent with the message ("" for none)


@dataclass(frozen=True, slots=True)
class StatusFound:
    status: str  # received | in_progress | waiting | closed | withdrawn
    changed_on: datetime.date
    reference: str = ""
    thread: tuple[ThreadEntry, ...] = ()  # oldest first
    reply_token: str = ""  # opaque, made by the channel; "" means replying is not possible
    # Set only when the report is closed and its student gave no feedback yet: the flag
    # that the engine asks for it, and what saves it (opaque, made by the channel).
    feedback_token: str = ""
    pattern: bool = False  # another report names the same company (a company pattern)
    may_share: tuple[str, ...] = ()  # network | sbb: what the student may still allow
    # When the student can expect to hear from their adviser: the report's earliest
    # deadline not yet met (None: none open, e.g. the adviser waits for the student).
    # `overdue`: that moment has passed (the adviser has been reminded).
    expect_by: datetime.date | None = None
    overdue: bool = False
    # With a reply token: how long the report stays open in this chat without a message
    # (the token's idle time-out), said to the student so they know when to retype.
    open_minutes: int = 0


@dataclass(frozen=True, slots=True)
class StatusNotFound:
    attempts_left: int


@dataclass(frozen=True, slots=True)
class StatusLocked:
    minutes: int
    # tries: too many wrong codes (this chat or this address); busy: the service is
    # pausing or queueing status checks for everyone, nothing this student did.
    why: Literal["tries", "busy"] = "tries"


@dataclass(frozen=True, slots=True)
class StatusExpired:
    """The report this visit had opened is closed again (idle too long, or the service
    restarted): the student types their code once more."""


StatusResult = StatusFound | StatusNotFound | StatusLocked | StatusExpired
# What the channel reports after SendReply / SendAttachment.
ReplyResult = Literal["sent", "expired", "failed", "wrong_type", "unreadable"]
# What the channel reports after GiveEvaluation: saved, already given (another screen was
# quicker), expired (the token is too old: /status again), failed (try again).
EvaluationResult = Literal["saved", "already", "expired", "failed"]
# What the channel reports after Withdraw: not found and locked as for a status check.
WithdrawResult = Literal["withdrawn", "expired", "failed"] | StatusNotFound | StatusLocked


@dataclass(frozen=True, slots=True)
class FlowContext:
    """The operator's choices, passed in so the engine never reads configuration itself."""

    schools: tuple[tuple[str, str, str], ...]  # (organization id, display name, mbo | hbo)
    visibility: tuple[str, ...] = ("school", "school_and_workplace", "network")
    workplaces: tuple[tuple[str, str], ...] = ()  # (organization id, display name)
    # Other names students type for an organization ("thuas", "roc"): (id, names).
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    network: str = ""  # the regional network's name, as "only the network" names it
    elsewhere: tuple[HelpRoute, ...] = ()  # where else a student can go, see HelpRoute


@dataclass(frozen=True, slots=True)
class HelpRoute:
    """Somewhere else a student can go (the school's complaints route, SBB, the
    anti-discrimination service, …), from the operator's config. What it does is worded
    by the locale files (`elsewhere_<kind>`); who and how to reach them by the config.

    when: (answer, allowed values) pairs, as routing rules spell them (level, phase,
    wants, recognised, safety, school); a route shows when every known answer is
    allowed. An unknown answer (/help before a report) does not hide it, except a
    school: a school's own route shows only once the student named that school."""

    kind: str
    name: str
    phone: str = ""
    web: str = ""
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
