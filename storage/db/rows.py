"""Small helpers over SQLAlchemy results."""

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (execute() is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
