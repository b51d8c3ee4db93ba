"""The students and the moments the disk is copied, the same on every backend.

Timeline (one service process, then a second one that is SIGKILLed):
The first service runs in this process (as the e2e tests do: no start-up cost), the
second as a child process, so that it can be SIGKILLed.

1. A, B, C and D start at once and write their stories (each with its own marker), and W
   does so over WhatsApp; copy "mid-conversation" (service running).
2. A, B and W file (W asks to be told about news: its number is sealed in the report);
   copy "right after filing".
3. C types /stop; copy "after /stop".
4. B follows up: /status with the code, and answers the adviser; copy "after follow-up".
   Then B's report is closed (as the console would) and B's next /status asks for
   an evaluation, which B gives with its own marker; copy "after evaluation".
5. The service stops cleanly (SIGTERM); copy "after a clean stop".
6. A second service: E writes a story and files, F writes a story and stays; SIGKILL;
   copy "after a crash".
D stays mid-conversation throughout (an unfinished draft: it may be readable).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.app.settings import load_settings
from standins import BotAPIStandIn
from standins.whatsapp import CloudAPIStandIn
from tests.support.harness import RunningService, Student
from tests.support.whatsapp_harness import WaStudent
from tests.system.seizure.service import (
    Process,
    close_report,
    finish_and_file,
    follow_up,
    give_evaluation,
    start_draft,
    wa_finish_and_file,
    wa_start_draft,
    write_config,
)

CHAT_RANGE = range(7_000_000, 7_000_401)


@dataclass
class Pupil:
    name: str
    chat_id: int
    marker: str
    reply_marker: str = ""
    evaluation_marker: str = ""
    channel: str = "telegram"  # W writes over WhatsApp: its chat id is its phone number
    receipt: str = ""
    state: str = "not started"  # drafting / filed / stopped
    inputs_after_filing: bool = False
    # The company named (name, town, KvK number) with a yes to matching: A and B name the
    # same one, spelled differently, and form a company pattern when they file.
    company: tuple[str, str, str] | None = None

    @property
    def story(self) -> str:
        return f"Bij het sollicitatiegesprek zeiden ze iets over mijn naam. {self.marker}"


@dataclass
class Moment:
    """What the test knew about every student when the copy was taken."""

    name: str
    states: dict[str, str]
    quiet_after_filing: dict[str, bool]
    copy: Path


@dataclass
class Run:
    pupils: dict[str, Pupil] = field(default_factory=dict)
    moments: list[Moment] = field(default_factory=list)


def pupils() -> dict[str, Pupil]:
    ids = {"A": 7_000_011, "B": 7_000_123, "C": 7_000_222, "D": 7_000_333, "E": 7_000_399}
    ids["F"] = 7_000_007
    ids["W"] = 7_000_055  # a "phone number" inside the range the attacker enumerates
    out = {n: Pupil(n, chat, f"MARK{n}{uuid.uuid4().hex[:16]}") for n, chat in ids.items()}
    out["W"].channel = "whatsapp"
    out["B"].reply_marker = f"REPLY{uuid.uuid4().hex[:16]}"
    out["B"].evaluation_marker = f"EVALUATION{uuid.uuid4().hex[:16]}"
    out["A"].company = COMPANIES[0]
    out["B"].company = COMPANIES[1]
    return out


# Every company name the seizure test uses: searched for in every form (verdict.py).
COMPANIES = (
    ("Albert Heijn B.V.", "Zaandam", "35012085"),
    ("albert heijn bv", "", ""),
)


Copier = Callable[[str, Path], Awaitable[None]]


async def play(api: BotAPIStandIn, workdir: Path, copier: Copier, database_url: str | None) -> Run:
    """Runs the timeline; `copier(moment, destination)` copies the disk at each moment."""
    async with CloudAPIStandIn() as wa:
        run = await _play(api, wa, workdir, copier, database_url)
    assert wa.violations == [], wa.violations
    return run


async def _play(
    api: BotAPIStandIn,
    wa: CloudAPIStandIn,
    workdir: Path,
    copier: Copier,
    database_url: str | None,
) -> Run:
    run = Run(pupils())
    p = run.pupils
    chats = {n: Student(api, x.chat_id) for n, x in p.items() if x.channel == "telegram"}
    whatsapp = WaStudent(wa, str(p["W"].chat_id))
    config = write_config(workdir, api.base_url, database_url, wa)
    processes: list[Process] = []

    async def snapshot(name: str) -> None:
        destination = workdir / "copies" / name.replace(" ", "-").replace("/", "")
        destination.mkdir(parents=True)
        await copier(name, destination)
        run.moments.append(
            Moment(
                name,
                {n: x.state for n, x in p.items()},
                {n: not x.inputs_after_filing for n, x in p.items()},
                destination,
            )
        )

    async def draft(name: str) -> None:
        p[name].state = "drafting"
        if name == "W":
            await wa_start_draft(whatsapp, p[name].story)
        else:
            await start_draft(chats[name], p[name].story)

    async def file(name: str) -> None:
        if name == "W":
            p[name].receipt = await wa_finish_and_file(whatsapp)
        else:
            p[name].receipt = await finish_and_file(chats[name], company=p[name].company)
        p[name].state = "filed"

    def start(n: int) -> Process:
        process = Process(workdir, config, out=f"stdout-{n}.txt")
        processes.append(process)
        process.start()
        return process

    first: RunningService | None = None
    try:
        first = RunningService(load_settings(config), api)
        await first.__aenter__()
        await asyncio.gather(*(draft(n) for n in "ABCDW"))
        await snapshot("mid-conversation")

        await asyncio.gather(file("A"), file("B"), file("W"))
        await snapshot("right after filing")

        stopped = await chats["C"].say("/stop")
        assert stopped, "the bot answers /stop"
        p["C"].state = "stopped"
        await snapshot("after /stop")

        p["B"].inputs_after_filing = True
        await follow_up(chats["B"], p["B"].receipt, f"Bel me maar na 16 uur. {p['B'].reply_marker}")
        await snapshot("after follow-up")

        await close_report(first.containers[0], p["B"].receipt)
        wish = f"Sneller terugbellen graag. {p['B'].evaluation_marker}"
        await give_evaluation(chats["B"], p["B"].receipt, wish)
        await snapshot("after evaluation")

        await first.__aexit__(None, None, None)
        first = None
        await snapshot("after a clean stop")

        second = start(0)
        await second.wait_for("Telegram: polling")
        await asyncio.gather(draft("E"), draft("F"))
        await file("E")
        second.kill()
        await snapshot("after a crash")
    finally:
        if first is not None:
            await first.__aexit__(None, None, None)
        for process in processes:
            if process.running():
                process.kill()
    return run
