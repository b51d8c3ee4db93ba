"""`stagemeld chat`: the same flow in a terminal, numbers for buttons, and a real report."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.app import wiring
from bot.app.container import build_container
from bot.app.settings import Settings
from bot.channels.terminal import chat, parse, plain
from dialogues import Button, Command, Press, Text
from tests.support.storage_helpers import filed_channels


def test_parse_numbers_commands_and_text() -> None:
    buttons = [Button("Ja", "yes", 3), Button("Nee", "no", 3)]
    assert parse("2\n", buttons) == Press(turn=3, value="no")
    assert parse("/status 1234\n", buttons) == Command(name="status", arg="1234")
    assert parse("7\n", buttons) == Text(text="7\n")  # not a button on offer: just text
    assert plain("<b>Klopt</b> &amp; dit?") == "Klopt & dit?"


async def test_a_whole_report_in_the_terminal(make_settings: Callable[..., Settings]) -> None:
    container = await build_container(make_settings())
    lines = iter(
        [
            "2",  # not in danger
            "3",  # during the internship
            "Mijn begeleider negeerde me en gaf alleen mijn collega's uitleg.",
            "1",  # origin: asked with the story, it ends the story
            "9",  # next
            "4",  # still going on
            "3",  # ROC Mondriaan
            "Bakkerij De Korst",
            "1",  # skip its town
            "1",  # skip its KvK number
            "2",  # no to matching (company patterns)
            "10",  # the sector: skip
            "2",  # no evidence
            "2",  # talk to an adviser
            "1",  # my school
            "1",  # submit: the code is shown
            "1",  # I have saved it: send my report
        ]
    )
    screen: list[str] = []

    def read() -> str:
        line = next(lines, None)
        return "" if line is None else line + "\n"  # "" is end of input

    try:
        await chat(wiring.turns(container), read=read, write=screen.append)
    finally:
        await container.close()
    shown = "\n".join(screen)
    assert "<b>" not in shown
    code = re.search(r"\b\d{4} \d{4} \d{4} \d{4}\b", shown)
    assert code is not None, shown[-2000:]
    assert "Bakkerij De Korst" in shown  # the summary showed the answer
    assert "Je melding is verstuurd" in shown  # and then it was filed
    assert not re.search(r"SM-[A-Z2-9]{4}-[A-Z2-9]{4}", shown)  # no reference to mistake
    assert await filed_channels(container.settings.database.url) == ["terminal"]  # figures
