"""`stagemeld audit verify`: check the audit log's hash chain against its anchored head."""

from __future__ import annotations

import argparse
import sys

from bot.app.cli.parsing import Command, commands
from bot.app.settings import Settings


def add(command: Command) -> None:
    audit = commands(command("audit", help="the audit log"), "audit_command")
    audit("verify", help="check the audit log's hash chain")


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return await _audit_verify(settings)


async def _audit_verify(settings: Settings) -> int:
    """Walks the chain and compares its tail with the head anchored in keys.dir; prints
    the head (seq and the first 64 bits of its MAC) so it can be written down or sent."""
    from bot.app.container import build_container
    from storage.repositories import audit

    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            verdict = await audit.verify(session, container.keys.server)
    finally:
        await container.close()
    anchor = verdict.anchor
    head = f"head: no. {anchor.head_seq}, {anchor.short()}" if anchor is not None else ""
    if verdict.ok:
        print(f"audit chain ok ({verdict.entries} entries)")
        if head:
            print(head)
        return 0
    if verdict.tail_cut:
        print(
            f"audit tail cut or rewritten ({verdict.reason}): the chain in the database "
            f"does not match the head anchored in keys.dir"
            + (f" (seq {anchor.anchored_seq})" if anchor and anchor.anchored_seq else "")
            + f"; {verdict.entries} entries check out among themselves",
            file=sys.stderr,
        )
    else:
        print(
            f"audit chain broken at seq {verdict.broken_seq} ({verdict.reason}); "
            f"{verdict.entries} entries before it check out",
            file=sys.stderr,
        )
    if head:
        print(head, file=sys.stderr)
    return 1
