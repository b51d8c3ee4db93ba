"""Small helpers over SQLAlchemy results."""

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def deleted(result: Result[Any]) -> int:
    """Rows a DELETE removed (execute() is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
