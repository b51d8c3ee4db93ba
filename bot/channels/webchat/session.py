"""The one cookie: a random session id, nothing else.

The server keeps no list of sessions. The id exists only in the student's browser; the
conversation is stored under a keyed hash of it (`Turns.chat_key("web", id)`), exactly
as a Telegram chat is, so forgetting the cookie makes the conversation unreachable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.responses import Response

from storage.crypto.tokens import new_token

COOKIE = "session"
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_id() -> str:
    return new_token(32)  # 256 bits, 43 characters


def read(cookies: Mapping[str, str]) -> str | None:
    value = cookies.get(COOKIE, "")
    return value if _ID.fullmatch(value) else None


def give(response: Response, session_id: str, *, secure: bool) -> None:
    """No Max-Age: the browser drops it when it closes. Strict: never sent cross-site."""
    response.set_cookie(
        COOKIE, session_id, httponly=True, samesite="strict", secure=secure, path="/"
    )


def forget(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=secure, path="/")
