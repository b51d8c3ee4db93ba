"""A WhatsApp student who copes with a flaky bot (the WhatsApp side of tests/support/faults.py's
`Wanderer`): at each step it looks at the chat as a person would (the bot's latest
message: options to choose from, or a question to type an answer to) and answers that;
after a crash it may tap an old option or repeat itself. Its messages reach the service
as Meta delivers them: again and again until the webhook answers 200."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from standins.whatsapp import CloudAPIStandIn, options_of, shown_text
from tests.support.faults import ANSWERS, FILED, STORY
from tests.support.harness import RECEIPT


@dataclass
class WaWanderer:
    api: CloudAPIStandIn
    number: str
    rng: random.Random
    patience: float = 4.0
    start_within: float = 1.0
    receipts: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    filed: bool = False

    @property
    def chat_id(self) -> int:
        return int(self.number)

    @property
    def finished(self) -> bool:
        return self.filed

    def bodies(self) -> list[dict[str, Any]]:
        return self.api.bodies_to(self.number)

    def look(self) -> None:
        for text in map(shown_text, self.bodies()):
            if m := RECEIPT.search(text):
                self.receipts.add("".join(m.groups()))
            if self.confirmed and FILED.search(text) and not RECEIPT.search(text):
                self.filed = True

    async def act(self) -> None:
        bodies = self.bodies()
        latest = bodies[-1] if bodies else None
        options = {oid.split(":", 1)[1]: (oid, title, row) for oid, title, row in _options(bodies)}
        if self.confirmed and (latest is None or "go.report" in options):
            self.filed = True  # "saved" was handled and a crash ate the "filed" message
            return
        if latest is None or not options_of(latest):
            await self._send_text("/start" if latest is None else STORY)
            return
        value = self._choose(options)
        if value is None:
            await self._send_text("/start")
            return
        if value == "receipt.saved":
            codes = [m for t in map(shown_text, bodies[-3:]) if (m := RECEIPT.search(t))]
            assert codes, "the confirm button comes with the code"
            self.confirmed.add("".join(codes[-1].groups()))
        oid, title, row = options[value]
        kind = "list_reply" if row else "button_reply"
        payload = self.api.message(
            self.number, "interactive", {"type": kind, kind: {"id": oid, "title": title}}
        )
        await self.api.deliver_until_ok(payload)

    async def _send_text(self, text: str) -> None:
        await self.api.deliver_until_ok(self.api.message(self.number, "text", {"body": text}))

    def _choose(self, options: dict[str, tuple[str, str, bool]]) -> str | None:
        if "religion" in options:
            return "next" if options["religion"][1].startswith("✓") else "religion"
        return next((answer for key, answer in ANSWERS if key in options), None)

    async def run(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        await asyncio.sleep(self.rng.uniform(0, self.start_within))
        while True:
            self.look()
            if self.finished:
                return
            assert time.monotonic() < end, f"{self.number} never got a receipt"
            before = len(self.bodies())
            await self.act()
            await self._answered(before)
            await asyncio.sleep(self.rng.uniform(0, 0.3))

    async def _answered(self, before: int) -> None:
        deadline = time.monotonic() + self.patience
        # Polled: the stand-in's list of sent messages has no event for "one more".
        while time.monotonic() < deadline and len(self.bodies()) <= before:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _options(bodies: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """The latest message's options, with those of the list messages of the same turn
    right before it (a long list comes in parts)."""
    found: list[tuple[str, str, bool]] = []
    for body in reversed(bodies):
        options = options_of(body)
        if not options or (found and options[0][0].split(":")[0] != found[0][0].split(":")[0]):
            break
        found = options + found
    return found
