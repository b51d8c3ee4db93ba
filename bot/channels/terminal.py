"""`stagemeld chat`: the same conversation in a terminal, to try it without Telegram.

Buttons are numbered; type the number to press one. Commands work as in Telegram.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Callable

from bot.intake.turns import Channel, Turns
from dialogues import Button, Command, Input, Press, Reply, Text

CHANNEL = "terminal"
TAG = re.compile(r"</?[a-z][^>]*>")


def plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


def render(replies: tuple[Reply, ...]) -> tuple[str, list[Button]]:
    lines: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        lines.append(plain(reply.text))
        for row in reply.buttons:
            for button in row:
                buttons.append(button)
                lines.append(f"  [{len(buttons)}] {button.label}")
        lines.append("")
    return "\n".join(lines), buttons


def parse(line: str, buttons: list[Button]) -> Input:
    text = line.strip()
    if text.startswith("/"):
        name, _, arg = text[1:].partition(" ")
        return Command(name=name.lower(), arg=arg.strip())
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        button = buttons[int(text) - 1]
        return Press(turn=button.turn, value=button.value)
    return Text(text=line)


async def chat(
    turns: Turns,
    *,
    chat_id: str = "local",
    read: Callable[[], str] | None = None,
    write: Callable[[str], None] | None = None,
) -> None:
    read_line = read or sys.stdin.readline
    out = write or (lambda s: print(s, flush=True))
    key = turns.chat_key(CHANNEL, chat_id)
    buttons: list[Button] = []
    first = True
    while True:
        if first:
            inp: Input = Command(name="start")
            first = False
        else:
            line = await asyncio.to_thread(read_line)
            if not line:
                return
            inp = parse(line, buttons)
        result = await turns.run(key, inp, channel=Channel(name="terminal"))
        text, new_buttons = render(result.replies)
        if result.replies:
            buttons = new_buttons
        out(text)
