"""A conversation's state: small, immutable, and safe to round-trip through JSON.

The channel persists it between messages (encrypted, by `storage`), so everything the
engine needs to continue a conversation after a restart must live here, and anything
read back from disk is checked before the engine trusts it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from vocabulary import EVALUATION_MAX_TEXT, EVALUATION_SCORES

LANGS = ("nl", "en")
# Overlays on top of the current step, each with its own buttons:
#   welcome   the safety question came with the welcome (privacy and language row)
#   language  the language picker is open
#   resume    /start during a draft asked "continue or start over?"
#   status    a status view with Reply / Withdraw / Done buttons is on screen
#   withdraw  "really withdraw your report?" is on screen
#   receipt   the receipt code is shown: "save it now, then send" (the code is `receipt`)
#   confirm   a typed answer was a guess: "did you mean X?" (X is `guess`)
#   feedback, feedback_text, feedback_quote   after a closed report's status, the
#             student's evaluation: its score, what could be better, may we quote it
#             (dialogues/evaluation.py)
#   pause     "in danger now": the help lines are shown and the next question waits until
#             the student taps "I want to go on"
FEEDBACK_MENUS = ("feedback", "feedback_text", "feedback_quote")
MENUS = (
    "",
    "welcome",
    "language",
    "resume",
    "status",
    "withdraw",
    "receipt",
    "confirm",
    "pause",
    *FEEDBACK_MENUS,
)
# Overlays the receipt code survives: they return to the receipt screen when closed.
RECEIPT_MENUS = ("receipt", "resume", "language")
# What the next text is taken as, instead of an answer to the current step:
#   code           a receipt code for /status
#   withdraw_code  a receipt code for /withdraw
#   reply          a message (or file) for the adviser, sent with the state's token
#   feedback       what could be better, after a closed report's status (issue 12)
EXPECTING = ("", "code", "withdraw_code", "reply", "feedback")
# A reply token is made by the channel and opaque to the engine: printable ASCII only (at
# most 512: it seals a report id and its data key),
# so it can never smuggle markup or control characters into a stored state.
_TOKEN = re.compile(r"[\x21-\x7e]{1,512}")
_RECEIPT = re.compile(r"[0-9]{16}")
_VALUE = re.compile(r"[a-z0-9_.-]{1,32}")  # an option's value, as a button carries it
Answer = str | tuple[str, ...]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_SCORE = max(EVALUATION_SCORES)
MAX_TURN = 2**31 - 1  # turns travel in callback data; keep them a plain int


@dataclass(frozen=True, slots=True)
class State:
    lang: str = "nl"
    step: str | None = None  # None: no report in progress
    turn: int = 0
    answers: Mapping[str, Answer] = field(default_factory=dict)
    story: tuple[str, ...] = ()
    editing: bool = False  # came from the summary: go back there after this answer
    expecting: str = ""  # what the next text is, see EXPECTING
    selected: tuple[str, ...] = ()  # a multi-select being toggled, not yet confirmed
    rewrite: tuple[str, ...] = ()  # a new story being written from the summary
    menu: str = ""  # an overlay, see MENUS
    # The report this chat opened with a correct code during this visit, as a token
    # sealed under the process's ephemeral key (opaque here, useless on disk and after a
    # restart); the turn runner drops it once it is idle for its time-out.
    token: str = ""
    can_push: bool = False  # this turn's channel can send a nudge later (set every turn)
    # The code shown on the receipt screen, until the report is filed: the draft (sealed
    # with its shreddable key) holds it so a crash before filing shows the same code
    # again; filing deletes the draft and shreds its key, so no copy of it survives.
    receipt: str = ""
    push: bool = False  # on the receipt screen: the student chose "tell me when there's news"
    guess: str = ""  # the option a typed answer probably meant, while "did you mean?" is open

    # The feedback being given after a closed report's status, until it is saved: the
    # score (0: skipped) and the text, held (in the sealed, shreddable draft) only while
    # "may we quote it?" is on screen.
    feedback_score: int = 0
    feedback_text: str = ""

    # On a status view of a report in a company pattern: whom the student may let their
    # adviser share it with (network | sbb); lives only while that view is open.
    share: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.token and not _TOKEN.fullmatch(self.token):
            raise ValueError("token: expected at most 512 printable ASCII characters")
        if self.receipt and not _RECEIPT.fullmatch(self.receipt):
            raise ValueError("receipt: expected 16 digits")
        if self.guess and not _VALUE.fullmatch(self.guess):
            raise ValueError("guess: expected an option value")

    @property
    def awaiting_code(self) -> bool:
        """The next message may hold a receipt code: the channel removes it from the chat.
        The code itself is never kept here; it travels only in the action."""
        return self.expecting in ("code", "withdraw_code")

    @property
    def idle(self) -> bool:
        """Nothing in progress and nothing open: no draft, overlay, question or token.
        Such a state is not worth keeping (issue 10: no row may outlive what it was for,
        e.g. a status check after filing); the buttons it drew work without it."""
        return (
            self.step is None
            and not (self.menu or self.expecting or self.token or self.receipt)
            and not (self.answers or self.story or self.selected or self.rewrite)
        )

    @classmethod
    def new(cls, lang: str = "nl") -> State:
        return cls(lang=lang if lang in LANGS else "nl")

    def advance(self, **changes: Any) -> State:
        """A new question or new buttons: older buttons must go stale, overlays close."""
        changes.setdefault("menu", "")
        return replace(self, turn=min(self.turn + 1, MAX_TURN), **changes)

    def tidy(self) -> State:
        """Drops the receipt code once the receipt screen is closed: it lives only while
        that screen is open (or an overlay that returns to it: "continue or start
        over?", the language picker); the same for a typed guess (only while "did you
        mean?" is open), the feedback being given (only on its screens) and whom a
        report may be shared with (only on its status view). The reply token is not
        dropped here: it keeps the report open for the rest of the visit (issue 11), and
        only the turn runner, which has the clock and the ephemeral key, knows when it
        has run out."""
        tidied = self
        if self.guess and self.menu != "confirm":
            tidied = replace(tidied, guess="")
        if self.receipt and self.menu not in RECEIPT_MENUS:
            tidied = replace(tidied, receipt="", push=False)
        if self.menu not in FEEDBACK_MENUS and (self.feedback_score or self.feedback_text):
            tidied = replace(tidied, feedback_score=0, feedback_text="")
        if self.share and self.menu != "status":
            tidied = replace(tidied, share=())
        return tidied

    def with_answer(self, step: str, value: Answer) -> State:
        return replace(self, answers={**self.answers, step: value})

    def to_json(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "step": self.step,
            "turn": self.turn,
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers.items()},
            "story": list(self.story),
            "editing": self.editing,
            "awaiting_code": self.awaiting_code,
            "expecting": self.expecting,
            "selected": list(self.selected),
            "rewrite": list(self.rewrite),
            "menu": self.menu,
            "token": self.token,
            "can_push": self.can_push,
            "receipt": self.receipt,
            "push": self.push,
            "guess": self.guess,
            "feedback_score": self.feedback_score,
            "feedback_text": self.feedback_text,
            "share": list(self.share),
        }

    @classmethod
    def from_json(cls, data: object) -> State:
        """Rejects anything this version could not have written, with ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError("not a conversation state: expected a mapping")
        try:
            return cls(
                lang=_choice(data["lang"], LANGS),
                step=_step(data["step"]),
                turn=_turn(data["turn"]),
                answers=_answers(data["answers"]),
                story=_strings(data["story"]),
                editing=_bool(data["editing"]),
                # added after the first release: older states lack them
                expecting=_expecting(data),
                selected=_strings(data.get("selected", [])),
                rewrite=_strings(data.get("rewrite", [])),
                menu=_choice(data.get("menu", ""), MENUS),
                token=_token(data.get("token", "")),
                can_push=_bool(data.get("can_push", False)),
                receipt=_receipt(data.get("receipt", "")),
                push=_bool(data.get("push", False)),
                guess=_guess(data.get("guess", "")),
                feedback_score=_score(data.get("feedback_score", 0)),
                feedback_text=_text(data.get("feedback_text", "")),
                share=_share(data.get("share", [])),
            )
        except KeyError as exc:
            raise ValueError(f"not a conversation state: {exc} is missing") from exc


SHARE_TARGETS = ("network", "sbb")


def _share(value: object) -> tuple[str, ...]:
    targets = _strings(value)
    if any(t not in SHARE_TARGETS for t in targets):
        raise ValueError("share: expected network and/or sbb")
    return targets


def _choice(value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"unexpected value {value!r}")
    return value


def _expecting(data: Mapping[str, Any]) -> str:
    """States from before `expecting` only knew "waiting for a status code"."""
    waiting = _bool(data["awaiting_code"])
    if "expecting" not in data:
        return "code" if waiting else ""
    expecting = _choice(data["expecting"], EXPECTING)
    if waiting != (expecting in ("code", "withdraw_code")):
        raise ValueError("awaiting_code and expecting disagree")
    return expecting


def _token(value: object) -> str:
    if value == "":
        return ""
    if isinstance(value, str) and _TOKEN.fullmatch(value):
        return value
    raise ValueError("token: expected at most 512 printable ASCII characters")


def _receipt(value: object) -> str:
    if value == "":
        return ""
    if isinstance(value, str) and _RECEIPT.fullmatch(value):
        return value
    raise ValueError("receipt: expected 16 digits")


def _guess(value: object) -> str:
    if value == "":
        return ""
    if isinstance(value, str) and _VALUE.fullmatch(value):
        return value
    raise ValueError("guess: expected an option value")


def _score(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
        raise ValueError("feedback_score: expected 0 to 5")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or len(value) > EVALUATION_MAX_TEXT:
        raise ValueError(f"feedback_text: expected at most {EVALUATION_MAX_TEXT} characters")
    return value


def _step(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and _NAME.match(value):
        return value
    raise ValueError("step: expected a step name or null")


def _turn(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TURN:
        raise ValueError("turn: expected a non-negative integer")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _answers(value: object) -> dict[str, Answer]:
    if not isinstance(value, Mapping):
        raise ValueError("answers: expected a mapping")
    out: dict[str, Answer] = {}
    for key, answer in value.items():
        if not isinstance(key, str) or not _NAME.match(key):
            raise ValueError(f"answers: bad key {key!r}")
        out[key] = answer if isinstance(answer, str) else _strings(answer)
    return out
