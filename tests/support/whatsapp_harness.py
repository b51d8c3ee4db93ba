"""The real service with WhatsApp on, against the Cloud API stand-in, and a student who
writes to it. Deliveries are answered after they are handled, so when `say` returns the
bot's replies are in (resends after a failed status come later: `wait_for_bodies`).

Options are chosen by their value (the part after "<turn>:" in a button's id), not by
their title, so the tests do not break when a text is reworded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.app.container import Container
from bot.app.runtime import serve
from bot.app.settings import Settings
from bot.channels.whatsapp.markup import whatsapp_text
from dialogues.texts import load_texts
from standins.whatsapp import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    CloudAPIStandIn,
    options_of,
)
from tests.support.harness import RECEIPT, free_port

# The first line of the "filed" message as WhatsApp shows it, per language.
FILED = {lang: whatsapp_text(t.get("filed")).splitlines()[0] for lang, t in load_texts().items()}


def whatsapp_section(api: CloudAPIStandIn, **extra: Any) -> dict[str, Any]:
    port = free_port()
    api.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
    return {
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "phone_number_id": PHONE_NUMBER_ID,
        "api_base": api.base_url,
        "webhook_port": port,
        "retry_base_seconds": 0.05,
        **extra,
    }


def whatsapp_settings(
    make_settings: Callable[..., Settings], api: CloudAPIStandIn, **extra: Any
) -> Settings:
    return make_settings(whatsapp=whatsapp_section(api, **extra))


class RunningWhatsApp:
    """`async with RunningWhatsApp(settings):` — the service, its webhook listening."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.containers: list[Container] = []

    async def __aenter__(self) -> RunningWhatsApp:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[str | None] = loop.create_future()
        self.task = asyncio.create_task(
            serve(self.settings, self.stop, ready=ready, built=self.containers.append)
        )
        await asyncio.wait({self.task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
        if self.task.done():
            self.task.result()
        assert ready.done(), "the service did not start"
        return self

    @property
    def container(self) -> Container:
        return self.containers[-1]

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 30)


class WaStudent:
    def __init__(self, api: CloudAPIStandIn, number: str) -> None:
        self.api = api
        self.number = number
        self.inputs = 0

    def _mark(self) -> int:
        return len(self.api.bodies_to(self.number))

    async def say(self, text: str) -> list[str]:
        mark = self._mark()
        status = await self.api.text(self.number, text)
        assert status == 200, status
        self.inputs += 1
        return self.api.texts_to(self.number)[mark:]

    def latest_options(self) -> list[tuple[str, str, bool]]:
        """The choices of the latest interactive message, and of the ones right before it
        from the same turn (a long list comes as several list messages)."""
        found: list[tuple[str, str, bool]] = []
        turn = None
        for body in reversed(self.api.bodies_to(self.number)):
            options = options_of(body)
            if not options:
                if found:
                    break
                continue
            this = options[0][0].split(":", 1)[0]
            if turn is not None and this != turn:
                break
            turn = this
            found = options + found
        return found

    def offered(self) -> list[str]:
        return [oid.split(":", 1)[1] for oid, _, _ in self.latest_options()]

    async def press(self, value: str) -> list[str]:
        choice = next((o for o in self.latest_options() if o[0].endswith(f":{value}")), None)
        assert choice is not None, f"no option {value!r}; on offer: {self.offered()}"
        return await self.tap(*choice)

    async def tap(self, reply_id: str, title: str, row: bool) -> list[str]:
        mark = self._mark()
        status = await self.api.tap(self.number, reply_id, title, row=row)
        assert status == 200, status
        self.inputs += 1
        return self.api.texts_to(self.number)[mark:]


async def file_report_wa(
    student: WaStudent,
    story: str = "Ze zeiden dat mijn hoofddoek niet paste.",
    *,
    english: bool = False,
    submit: str = "submit",
) -> str:
    """The whole flow the shortest way over WhatsApp; returns the 16-digit receipt."""
    await student.say("/start")
    if english:
        await student.press("lang.en")
    await student.press("no")
    await student.press("interview")
    await student.say(story)
    await student.press("religion")  # asked with the story: its first tap ends the story
    await student.press("next")
    await student.press("month")
    await student.press("hhs")
    await student.press("skip")  # the workplace (and with it its town, KvK, matching)
    await student.press("skip")  # the sector (optional)
    await student.press("no")
    await student.press("talk")
    await student.press("school")
    texts = await student.press(submit)
    codes = [m for t in texts if (m := RECEIPT.search(t))]
    assert codes, texts
    filed = await student.press("receipt.saved")
    head = FILED["en" if english else "nl"]
    assert [t for t in filed if head in t], filed  # "where else to go", then "filed"
    assert student.offered() == ["erase", "keep"], filed  # filed: delete or keep
    assert not any("SM-" in t or RECEIPT.search(t) for t in filed)  # the code was shown once
    return "".join(codes[0].groups())


async def wait_for_bodies(
    api: CloudAPIStandIn, number: str, count: int, timeout: float = 10
) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(api.bodies_to(number)) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{len(api.bodies_to(number))} of {count} messages")
        await asyncio.sleep(0.02)
    return api.bodies_to(number)
