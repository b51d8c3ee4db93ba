"""`stagemeld run --workers N`: N replicas of the service on one machine.

Each worker is a whole `stagemeld run` process (its own event loop, its own cores'
worth of Python) on the same database; they share the web port (and the webhook
port) through SO_REUSEPORT, so the kernel spreads connections over them and no proxy
is needed on one machine. What makes them safe side by side is what makes replicas
safe: turns, drafts and console sessions live in the database, every update is handled
once (`processed_updates`), and background jobs claim their work by compare-and-set.
Telegram allows one long poll per bot, so in polling mode only worker 0 polls (webhook
mode, the one for real deployments, spreads deliveries over all of them).

The supervisor prepares first, alone (migrations, and the keys on a first start, which
several processes must not create at once), then starts the workers, restarts one that
dies, and passes SIGTERM / SIGINT on to all of them.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from bot.app.container import build_container
from bot.app.settings import Settings

log = logging.getLogger(__name__)

RESTART_PAUSE = 1.0  # seconds before a dead worker is started again
STOP_GRACE = 30.0  # seconds a worker gets to drain after SIGTERM


async def prepare(settings: Settings) -> None:
    """Migrate and (first start) create the keys once, before any worker starts."""
    container = await build_container(settings)
    await container.close()


def worker_command(config: Path, replica: int) -> list[str]:
    return [
        sys.executable, "-m", "bot.app.cli", "--config", str(config), "run", "--no-chat",
        "--replica", str(replica),
    ]  # fmt: skip


class Supervisor:
    def __init__(self, config: Path, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.stopping = 0  # the signal that stops them all, once one came

    def _start(self, replica: int) -> None:
        command = worker_command(self.config, replica)  # this interpreter, our own args
        self.procs[replica] = subprocess.Popen(command)  # noqa: S603
        log.info("worker %d started (pid %d)", replica, self.procs[replica].pid)

    def _stop(self, signum: int, _: FrameType | None) -> None:
        self.stopping = signum
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signum)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for replica in range(self.workers):
            self._start(replica)
        while not self.stopping:
            time.sleep(0.2)
            for replica, proc in list(self.procs.items()):
                if proc.poll() is not None and not self.stopping:
                    log.error("worker %d exited (%s); starting it again", replica, proc.returncode)
                    time.sleep(RESTART_PAUSE)
                    self._start(replica)
        return self._wait()

    def _wait(self) -> int:
        deadline = time.monotonic() + STOP_GRACE
        for proc in self.procs.values():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # A worker still starting dies of the signal itself (its handler is not set yet):
        # that is the stop that was asked for, not a failure.
        codes = [p.returncode for p in self.procs.values() if p.returncode != -self.stopping]
        return max((abs(code or 0) for code in codes), default=0)
