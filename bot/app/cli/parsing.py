"""What every command group shares to build its part of the `stagemeld` parser.

`--config` is accepted before the subcommand and after it (`stagemeld run --config
x.yaml`): every subparser takes it from `SHARED`, with no default, so the top level's
stands.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path

CONFIG_HELP = "config.yaml (its network: names the network's directory, network.yaml)"

Command = Callable[..., argparse.ArgumentParser]

SHARED = argparse.ArgumentParser(add_help=False)
SHARED.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)


def commands(parent: argparse.ArgumentParser, dest: str) -> Command:
    """A subcommand adder under `parent`; the chosen name lands in `args.<dest>`."""
    sub = parent.add_subparsers(dest=dest, required=True)
    return functools.partial(sub.add_parser, parents=[SHARED])
