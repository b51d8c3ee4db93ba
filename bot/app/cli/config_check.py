"""`stagemeld check-config`: the config loaded (in `main`) without an error is the check."""

from __future__ import annotations

import argparse

from bot.app.cli.parsing import Command
from bot.app.settings import Settings


def add(command: Command) -> None:
    command("check-config", help="validate config.yaml and its network.yaml, and exit")


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    print("config ok")
    return 0
