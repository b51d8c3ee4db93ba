"""`stagemeld run`: the service, in one process or several (`--workers`)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.app.cli.parsing import Command
from bot.app.settings import Settings


def add(command: Command) -> None:
    run = command("run", help="start the service")
    run.add_argument("--no-chat", action="store_true", help="no terminal chat without Telegram")
    run.add_argument(
        "--demo",
        action="store_true",
        help="enrol one demo adviser per organization (loopback addresses only)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N processes on this machine sharing the database and the web port",
    )
    run.add_argument("--replica", type=int, default=None, help=argparse.SUPPRESS)


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    interactive = sys.stdin.isatty() and not args.no_chat and args.replica is None
    return await _run(settings, interactive=interactive, demo=args.demo, replica=args.replica)


async def _run(
    settings: Settings, *, interactive: bool, demo: bool = False, replica: int | None = None
) -> int:
    from bot.app.runtime import install_signal_handlers, serve

    if demo:
        from bot.app.demo import enrol_demo_advisers, is_loopback

        if not is_loopback(settings.web.host):
            print(
                f"stagemeld: --demo prints passwords and runs only on a loopback address; "
                f"web.host is {settings.web.host}",
                file=sys.stderr,
            )
            return 2
        print(await enrol_demo_advisers(settings), flush=True)
    stop = asyncio.Event()
    install_signal_handlers(stop)
    await serve(settings, stop, interactive=interactive, replica=replica, settle_gc=True)
    return 0
