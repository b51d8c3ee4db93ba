"""The `stagemeld` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bot.app.cli import adviser, audit, chat, config_check, keys, patterns, recover, run
from bot.app.cli.parsing import CONFIG_HELP, Command, commands
from bot.app.settings import ConfigError, Settings, load_settings


class Group(Protocol):
    """What each command group's module offers: a module satisfies it by its functions."""

    def add(self, command: Command) -> None: ...

    async def dispatch(self, args: argparse.Namespace, settings: Settings) -> int: ...


# Each command group's module adds its subcommand (`add`) and carries it out
# (`dispatch`); this order is the order `stagemeld --help` lists them in.
GROUPS: dict[str, Group] = {
    "run": run,
    "chat": chat,
    "check-config": config_check,
    "keys": keys,
    "adviser": adviser,
    "recover": recover,
    "audit": audit,
    "patterns": patterns,
}


def parser() -> argparse.ArgumentParser:
    """`--config` is accepted before the subcommand and after it (`stagemeld run --config
    x.yaml`): every subparser shares it with no default, so the top level's stands."""
    p = argparse.ArgumentParser(prog="stagemeld", description=__doc__)
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help=CONFIG_HELP)
    command = commands(p, "command")
    for group in GROUPS.values():
        group.add(command)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # Every file and directory the service makes (the database, its -wal and -shm, the
    # log, keys.dir, var/) is its own alone: 0600 and 0700, whatever the shell's umask.
    os.umask(0o077)
    args = parser().parse_args(argv)
    if args.command == "run" and args.workers < 1:
        print("stagemeld: --workers needs a number of processes, 1 or more", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"stagemeld: config error: {exc}", file=sys.stderr)
        return 2
    from bot.app.logs import setup_logging

    setup_logging(settings.logging.level, settings.logging.file)
    if args.command == "run" and args.workers > 1 and not args.demo:
        from bot.app.workers import Supervisor, prepare

        asyncio.run(prepare(settings))
        return Supervisor(args.config, args.workers).run()
    return asyncio.run(_dispatch(args, settings))


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return await GROUPS[args.command].dispatch(args, settings)
