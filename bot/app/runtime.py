"""`stagemeld run`: the whole service in one process.

Channels, the notification outbox and housekeeping run as tasks side by side; the
first lines of the log say how to talk to the bot, because that is what a newcomer
running `make run` needs to know first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.app.channel_wiring import serve_telegram, telegram_bot, whatsapp_service
from bot.app.container import (
    Container,
    build_container,
    warn_about_keyless_advisers,
    warn_about_orphans,
    warn_about_recovery_file,
    warn_about_stale_contacts,
)
from bot.app.routes import web_routes
from bot.app.settings import Settings, TelegramMode
from bot.app.wiring import turns
from bot.channels.http.server import WebServer, make_app
from bot.channels.terminal import chat
from bot.channels.whatsapp.app import WhatsAppService
from bot.intake.nudging import ChannelSend, GiveUp, deliver_nudges
from bot.intake.student_log import ACTS
from escalation.casework.deadlines import escalate_due
from escalation.casework.directory import Adviser, Organization
from escalation.casework.email import EmailSender
from escalation.casework.notify import Notice, Sender, Undeliverable, deliver_due
from escalation.casework.retention import apply_retention
from storage.db.clock import STUDENT_PRECISION, floor_to
from storage.repositories.conversations import SWEEP_MIN_AGE
from storage.repositories.outbox import PendingNotification

# aiogram (its hundreds of pydantic models, about 125 MiB) is imported only when Telegram
# is on: a service serving the web chat or WhatsApp alone never holds it.
if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

NOTIFY_EVERY = 1.0
HOUSEKEEPING_EVERY = 600.0
TELEGRAM_STOP_SECONDS = 25.0  # stop polling + drain the updates in hand (2 × 10 s) + slack


def now() -> datetime:
    return datetime.now(UTC)


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    interactive: bool = False,
    ready: asyncio.Future[str | None] | None = None,
    built: Callable[[Container], None] | None = None,
    replica: int | None = None,
    settle_gc: bool = False,
) -> None:
    """Runs until `stop` is set. `ready` gets the web address (or None) once listening;
    `built` gets the container once made (tests reach the in-memory nudge queue so).
    `replica`: one of `stagemeld run --workers N` (`bot.app.workers`): the ports are shared
    with the other workers, and only replica 0 long-polls Telegram. `settle_gc`: the
    process is the service's own, so what starting made is frozen for the collector
    (`settle_garbage_collector`); tests running it in their own process leave it off."""
    container = await build_container(settings)
    if built is not None:
        built(container)
    await warn_about_keyless_advisers(container)
    await warn_about_orphans(container)
    warn_about_recovery_file(settings.keys.dir)
    warn_about_stale_contacts(settings, now().date())
    # Key files left by a crash between a commit and its unlink. Other replicas on this
    # keys.dir may be running: a file written in the last minute may be one whose row is
    # on its way (the next housekeeping takes it if not).
    await container.conversations.sweep(min_age=SWEEP_MIN_AGE)
    bot = telegram_bot(settings.telegram, stop.is_set) if settings.telegram.active else None
    web = await _start_web(container, shared_port=replica is not None)
    whatsapp = await _start_whatsapp(container)
    alone = bot is None and whatsapp is None
    announce(settings, interactive=interactive and alone, web_url=web.url if web else None)
    if settle_gc:  # the service's own process (`stagemeld run`), not a test's
        settle_garbage_collector()
    if ready is not None and not ready.done():
        ready.set_result(web.url if web else None)
    tasks = [
        asyncio.create_task(_every(NOTIFY_EVERY, stop, _notifier(container, bot)), name="notify"),
        asyncio.create_task(
            _every(NOTIFY_EVERY, stop, _nudger(container, bot, whatsapp)), name="nudge"
        ),
        asyncio.create_task(
            _every(HOUSEKEEPING_EVERY, stop, _housekeeping(container)), name="housekeeping"
        ),
        asyncio.create_task(
            _every(settings.directory.deadlines.check_every_seconds, stop, _deadlines(container)),
            name="deadlines",
        ),
        asyncio.create_task(_on_the_hour(stop), name="student-acts"),
    ]
    if bot is not None and _receives_updates(settings, replica):
        telegram = serve_telegram(container, bot, stop, shared_port=replica is not None)
        tasks.append(asyncio.create_task(telegram, name="telegram"))
    elif interactive and whatsapp is None:
        tasks.append(asyncio.create_task(_terminal(container, stop), name="terminal"))
    try:
        await _until_stopped(stop, tasks)
    finally:
        stop.set()
        await _stop_tasks(tasks)
        if bot is not None:
            await bot.session.close()
        if web is not None:
            await web.stop()
        if whatsapp is not None:
            await whatsapp.stop()
        await container.close()
        log.info("stopped")


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Telegram first, on its own: it stops polling and lets the updates in hand finish
    (bot/channels/telegram/app.py) while the session is still open — cancelling it instead cuts
    off its long poll mid-request. Then the rest, which only wait for their next round."""
    telegram = [t for t in tasks if t.get_name() == "telegram"]
    if telegram:
        await asyncio.wait(telegram, timeout=TELEGRAM_STOP_SECONDS)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _receives_updates(settings: Settings, replica: int | None) -> bool:
    """Every worker takes webhook deliveries; one long poll per bot (Telegram's rule)."""
    return settings.telegram.mode is TelegramMode.WEBHOOK or not replica


async def _start_web(container: Container, *, shared_port: bool = False) -> WebServer | None:
    if not container.settings.web.enabled:
        return None
    https = container.settings.web.base_url.startswith("https://")
    app = make_app(web_routes(container), hsts=https, container=container)
    w = container.settings.web
    web = WebServer(app, w.host, w.port, reuse_port=shared_port)
    await web.start()
    return web


async def _start_whatsapp(container: Container) -> WhatsAppService | None:
    if not container.settings.whatsapp.active:
        return None
    service = whatsapp_service(container)
    await service.start()
    return service


def settle_garbage_collector() -> None:
    """Everything made while starting (modules, aiogram's and pydantic's models, the
    compiled locale texts, SQLAlchemy's mappings) lives as long as the process: moved
    out of the collector's reach, it is no longer walked by every full collection.
    Those walks were stalls of 100-500 ms in the middle of conversation turns, and
    taking them away doubled the turns a process answers under load
    (docs/performance.md). Objects made afterwards are collected as before."""
    gc.collect()
    gc.freeze()


def announce(settings: Settings, *, interactive: bool, web_url: str | None = None) -> None:
    if web_url is not None:
        log.info("stagemeld is running: open %s/ in a browser", web_url)
    t = settings.telegram
    if settings.whatsapp.active:
        log.info("stagemeld is running: students can write to your WhatsApp number")
    if t.active:
        log.info("stagemeld is running: open your bot in Telegram and send /start (%s)", t.mode)
    elif interactive and not settings.whatsapp.active:
        log.info("stagemeld is running without Telegram; the conversation starts below.")
    elif not settings.whatsapp.active:
        log.info(
            "stagemeld is running without Telegram. Talk to it in a terminal with "
            "`.venv/bin/stagemeld chat`, or set STAGEMELD_TELEGRAM__TOKEN to serve Telegram."
        )
    log.info("database: %s", _safe_url(settings.database.url))


def _safe_url(url: str) -> str:
    """Never log a database password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


async def _until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def _every(seconds: float, stop: asyncio.Event, job: Callable[[], Awaitable[object]]) -> None:
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception("background job failed; it runs again in %.0fs", seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def _on_the_hour(stop: asyncio.Event) -> None:
    """Writes the hour's counts of students' acts at the top of every hour (the log's
    only trace of them, `bot.intake.student_log`)."""
    while not stop.is_set():
        hour = floor_to(now(), STUDENT_PRECISION) + STUDENT_PRECISION
        wait = (hour - now()).total_seconds()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(wait, 0.0))
        if not stop.is_set():
            ACTS.flush(hour)


def _notifier(container: Container, bot: Bot | None) -> Callable[[], Awaitable[int]]:
    senders: dict[str, Sender] = {}
    if bot is not None:
        senders["telegram"] = telegram_sender(bot)
    if container.smtp is not None:
        senders["email"] = EmailSender(container.smtp)
    texts = container.dialogue.texts("nl")
    console = f"{container.settings.web.base_url}/console/"

    def render(item: PendingNotification, org: Organization) -> Notice:
        names = {"reference": item.reference, "organization": org.name}
        body = texts.get(f"notify_{item.kind}", **names)
        link = texts.get("notify_console_link", url=console)
        return Notice(texts.get("notify_subject", **names), f"{body}\n\n{link}")

    async def job() -> int:
        if not senders:
            return 0
        return await deliver_due(container.outbox, container.directory, senders, render, now)

    return job


def telegram_sender(bot: Bot) -> Sender:
    async def send(adviser: Adviser, notice: Notice) -> None:
        if adviser.telegram_chat_id is None:
            raise Undeliverable(adviser.id)
        await bot.send_message(adviser.telegram_chat_id, notice.body)

    return send


def _nudger(
    container: Container, bot: Bot | None, whatsapp: WhatsAppService | None = None
) -> Callable[[], Awaitable[int]]:
    channels: dict[str, ChannelSend] = {}
    if bot is not None:
        channels["telegram"] = telegram_nudge(bot, container)
    if whatsapp is not None:
        channels["whatsapp"] = whatsapp.channel.nudge

    async def job() -> int:
        return await deliver_nudges(container.nudges, channels, now)

    return job


def telegram_nudge(bot: Bot, container: Container) -> ChannelSend:
    from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNotFound

    async def send(chat: str, lang: str) -> None:
        try:
            await bot.send_message(int(chat), container.dialogue.texts(lang).get("nudge_news"))
        except (TelegramForbiddenError, TelegramNotFound) as exc:
            raise GiveUp from exc
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                raise GiveUp from exc
            raise

    return send


def _deadlines(container: Container) -> Callable[[], Awaitable[int]]:
    async def job() -> int:
        return await escalate_due(
            container.deadlines, container.directory, container.deadline_policy
        )

    return job


def _housekeeping(container: Container) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        moment = now()
        await container.conversations.purge_expired(moment)
        await container.attempts.purge(moment)
        await container.updates.purge(moment - timedelta(days=2))
        await apply_retention(container.retention, container.directory)

    return job


async def _terminal(container: Container, stop: asyncio.Event) -> None:
    await chat(turns(container))
    stop.set()


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
