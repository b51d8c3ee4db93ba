"""Alembic environment, used two ways:

* by `storage.db.engine.migrate`, which hands in a connection of the running service's engine;
* by the `alembic` command line: `alembic -c storage/db/alembic.ini -x url=<database url>
  upgrade head` (or `revision --autogenerate`, or `upgrade head --sql` for a script).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from storage.db.models import Base, UtcDateTime

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen: AutogenContext) -> str | bool:
    """Write UtcDateTime into migrations as the plain column type it stands for."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


OPTIONS: dict[str, Any] = {
    "target_metadata": target_metadata,
    "render_as_batch": True,  # SQLite can only ALTER by copying the table
    "compare_type": True,
    "render_item": _render_item,
}


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: give the database with -x url=sqlite+aiosqlite:///path.db")
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    from storage.db.engine import make_engine

    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    elif context.is_offline_mode():
        context.configure(url=_url(), literal_binds=True, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
    else:
        if context.config.config_file_name is not None:
            fileConfig(context.config.config_file_name, disable_existing_loggers=False)
        asyncio.run(_run_from_url(_url()))


main()
