"""What the stand-in records: calls, faults, and the error a call is answered with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One HTTP request to the stand-in, after decoding.

    `method` is the spec's spelling (``sendMessage``) when the method exists, else as sent.
    `params` holds decoded values (ints, bools, dicts, lists); uploads are `Upload`s.
    `status` is the HTTP status answered (0 when a fault dropped the connection) and
    `error` the description of an error answer.
    """

    method: str
    params: dict[str, Any]
    chat_id: int | str | None
    at: float
    status: int = 200
    error: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Fault:
    """A fault planned with `fail_next`; once used, `call` is the call it hit."""

    method: str
    status: int
    retry_after: int | None
    drop: bool
    description: str | None = None
    call: Call | None = field(default=None, repr=False)
    after: bool = False  # with `drop`: Telegram did the call, only the answer was lost


class ApiError(Exception):
    """An error answer: `{"ok": false, "error_code": status, "description": ...}`.

    `violation` marks a breach of the published API (unknown or missing parameter, wrong
    type, length rule, bad HTML); those also land in `BotAPIStandIn.violations`.
    """

    def __init__(
        self,
        status: int,
        description: str,
        *,
        violation: bool = False,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.parameters = parameters

    @classmethod
    def bad_request(cls, what: str, *, violation: bool = False) -> ApiError:
        return cls(400, f"Bad Request: {what}", violation=violation)

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)
