"""`stagemeld chat`: talk to the bot in this terminal."""

from __future__ import annotations

import argparse

from bot.app.cli.parsing import Command
from bot.app.settings import Settings


def add(command: Command) -> None:
    command("chat", help="talk to the bot in this terminal")


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return await _chat(settings)


async def _chat(settings: Settings) -> int:
    from bot.app.container import build_container
    from bot.app.wiring import turns
    from bot.channels.terminal import chat

    container = await build_container(settings)
    try:
        await chat(turns(container))
    finally:
        await container.close()
    return 0
