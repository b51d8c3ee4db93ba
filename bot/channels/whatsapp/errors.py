"""What a Graph API error means for us: wait and retry, retry soon, or give up.

Meta signals throttling by error code as often as by HTTP 429 (a 400 with code 130429 is
common), so the code decides. Codes: developers.facebook.com/docs/whatsapp/cloud-api/
support/error-codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Too many messages: app (4), account (80007), phone number throughput (130429), spam
# limit (131048), the same recipient too often (131056).
THROTTLED = frozenset({4, 80007, 130429, 131048, 131056})
# Meta's own hiccups: unknown/temporary (1, 2), "something went wrong" (131000),
# service unavailable (131016).
TRANSIENT = frozenset({1, 2, 131000, 131016})
OUTSIDE_WINDOW = 131047  # more than 24 hours since the student wrote: a template is needed
UNDELIVERABLE = frozenset({131026, 131030, 131045, 131049})


@dataclass(frozen=True)
class GraphError(Exception):
    """A refusal from the Graph API. Its message may quote our request, so only the code
    is ever logged."""

    status: int
    code: int = 0
    detail: str = ""

    @classmethod
    def from_response(cls, status: int, body: object) -> GraphError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(status)
        code = error.get("code")
        return cls(status, code if isinstance(code, int) else 0, str(error.get("message", "")))

    @property
    def throttled(self) -> bool:
        return self.status == 429 or self.code in THROTTLED

    @property
    def transient(self) -> bool:
        return self.status >= 500 or self.code in TRANSIENT

    @property
    def retryable(self) -> bool:
        return self.throttled or self.transient

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW

    def __str__(self) -> str:
        return f"Graph API {self.status} (code {self.code})"


def status_error_codes(status: dict[str, Any]) -> tuple[int, ...]:
    """The error codes of a `failed` status callback."""
    errors = status.get("errors")
    if not isinstance(errors, list):
        return ()
    codes = (e.get("code") for e in errors if isinstance(e, dict))
    return tuple(c for c in codes if isinstance(c, int))
