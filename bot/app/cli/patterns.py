"""`stagemeld patterns`: rotate and retire the company patterns' matching key."""

from __future__ import annotations

import argparse

from bot.app.cli.parsing import Command, commands
from bot.app.settings import Settings


def add(command: Command) -> None:
    patterns = commands(
        command("patterns", help="company patterns: the matching key"), "patterns_command"
    )
    patterns("rotate-key", help="add a newer matching key (docs/security.md, 'Company patterns')")
    retire = patterns("retire-key", help="shred an older matching key and its hashes")
    retire.add_argument("key_id", metavar="KEY_ID", help="e.g. k1 (see rotate-key's output)")


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import pattern_keys

    if args.patterns_command == "rotate-key":
        return pattern_keys.rotate_key(settings)
    return await pattern_keys.retire_key(settings, args.key_id)
