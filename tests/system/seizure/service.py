"""The real service as a child process (so it can be stopped cleanly or SIGKILLed), and
the students' moves through the Bot API stand-in.

`Process` is the harness's, with the longer waits a busy machine needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.app.container import Container
from standins.whatsapp import CloudAPIStandIn
from storage.db.models import Report
from tests.conftest import base_config, save_config
from tests.support.harness import RECEIPT, Student
from tests.support.harness import Process as HarnessProcess
from tests.support.whatsapp_harness import WaStudent, whatsapp_section

TOKEN = "123456:TEST-token"
# Buttons that, where the code is shown before filing, confirm "I have saved the code —
# send my report" after the code was shown (today the code comes after filing and no
# such button exists).
CONFIRM_WORDS = ("confirm", "saved", "send", "file")


class Process(HarnessProcess):
    """The harness's `stagemeld run` child, with a longer start-up wait and stop: the
    seized service runs on a machine busy with the attacker's work."""

    async def wait_for(self, text: str, timeout: float = 60) -> None:
        await super().wait_for(text, timeout)

    def stop(self, timeout: float = 30) -> int:
        return super().stop(timeout)


def write_config(
    workdir: Path, api_base: str, database_url: str | None = None, wa: CloudAPIStandIn | None = None
) -> Path:
    data: dict[str, Any] = base_config(workdir)
    data["telegram"] = {"token": TOKEN, "api_base": api_base, "polling_timeout": 1}
    if wa is not None:
        data["whatsapp"] = whatsapp_section(wa, nudge_template="stagemeld_news")
    if database_url is not None:
        data["database"]["url"] = database_url
    path = workdir / "seizure-config.yaml"
    save_config(path, data)
    return path


async def start_draft(student: Student, story: str) -> None:
    """/start, the story with its marker, and on to the grounds question."""
    await student.say("/start")
    await student.press("no")
    await student.press("interview")
    await student.say(story)
    await student.press("done")


async def finish_and_file(
    student: Student, submit: str = "submit", company: tuple[str, str, str] | None = None
) -> str:
    """From the grounds question to the receipt; returns the 16 digits shown. With a
    `company` (name, town, KvK number; "" skips one) it is named with a yes to matching."""
    await student.press("religion")
    await student.press("next")
    await student.press("month")
    await student.press("hhs")
    if company is None:
        await student.press("skip")
    else:
        for answer in company:
            await (student.say(answer) if answer else student.press("skip"))
        await student.press("yes")
    await student.press("skip")  # the sector
    await student.press("no")
    await student.press("talk")
    await student.press("school")
    texts = await student.press(submit)
    codes = [m for t in texts if (m := RECEIPT.search(t))]
    confirm = [v for v in student.offered() if any(w in v for w in CONFIRM_WORDS)]
    if confirm:  # the receipt before filing: confirm having saved it
        texts += await student.press(confirm[0])
        codes += [m for t in texts if (m := RECEIPT.search(t))]
    assert codes, texts
    return "".join(codes[0].groups())


async def wa_start_draft(student: WaStudent, story: str) -> None:
    """The same over WhatsApp: /start, the story, on to the grounds question."""
    await student.say("/start")
    await student.press("no")
    await student.press("interview")
    await student.say(story)
    await student.press("done")


async def wa_finish_and_file(student: WaStudent) -> str:
    """From the grounds to filing over WhatsApp, asking to be told about news (so the
    number is sealed inside the report); no workplace named, the sector skipped; returns
    the 16 digits shown."""
    for value in ("religion", "next", "month", "hhs", "skip", "skip", "no", "talk", "school"):
        await student.press(value)
    texts = await student.press("submit.push")
    codes = [m for t in texts if (m := RECEIPT.search(t))]
    assert codes, texts
    await student.press("receipt.saved")
    return "".join(codes[0].groups())


def grouped(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, 16, 4))


async def follow_up(student: Student, code: str, reply: str) -> None:
    """/status with the code, then answer the adviser."""
    shown = await student.say(f"/status {grouped(code)}")
    assert "status.reply" in student.offered(), shown
    await student.press("status.reply")
    await student.say(reply)


async def close_report(container: Container, code: str) -> None:
    """What the console's "close" does to the row (no adviser is enrolled here)."""
    view = await container.student.view(code)
    assert view is not None
    async with container.sessions() as session, session.begin():
        await session.execute(
            update(Report)
            .where(Report.id == view.report_id)
            .values(status="closed", closed_at=container.reports.clock(), outcome="resolved")
        )


async def give_evaluation(student: Student, code: str, text: str) -> None:
    """/status with the code: the evaluation questions; a score, the text, may be quoted."""
    shown = await student.say(f"/status {grouped(code)}")
    assert "feedback.4" in student.offered(), shown
    await student.press("feedback.4")
    await student.say(text)
    thanks = await student.press("feedback.quote")
    assert thanks, "the bot thanks the student once it is saved"
