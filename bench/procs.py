"""The processes under test, and what /proc says about them (Linux only)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
ADVISER_CHAT = 900001  # the hhs adviser gets the (content-free) new-report notices


def service_config(workdir: Path, api_base: str, token: str, database_url: str | None) -> Path:
    """The shipped config.yaml and network.yaml with only what a benchmark must change:
    where Telegram, the database, keys and logs are, and the adviser's chat. The
    Argon2id cost stays as shipped."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    network: dict[str, Any] = yaml.safe_load((ROOT / "network.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = database_url or f"sqlite+aiosqlite:///{workdir / 'stagemeld.db'}"
    data["keys"]["dir"] = str(workdir / "keys")
    data["logging"]["file"] = str(workdir / "stagemeld.log")
    data["telegram"] |= {"token": token, "api_base": api_base, "polling_timeout": 10}
    data["web"] = {**data.get("web", {}), "host": "127.0.0.1", "port": 0}
    hhs = next(o for o in network["organizations"] if o["id"] == "hhs")
    hhs["advisers"][0]["telegram_chat_id"] = ADVISER_CHAT
    data["network"] = "bench-network.yaml"  # beside bench-config.yaml
    text = yaml.safe_dump(network, allow_unicode=True)
    (workdir / "bench-network.yaml").write_text(text, encoding="utf-8")
    path = workdir / "bench-config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class Child:
    """A child process whose output goes to a file; `ready` is a line it prints when up."""

    def __init__(self, argv: list[str], cwd: Path, ready: str) -> None:
        self.argv = argv
        self.cwd = cwd
        self.ready = ready
        self.out = cwd / "output.txt"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, timeout: float = 60) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEMELD_")}
        env["PYTHONPATH"] = str(ROOT)  # this checkout's code, wherever the child runs
        with self.out.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while self.ready not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.argv[2:]} did not start:\n{self.output()[-3000:]}")
            await asyncio.sleep(0.1)

    def output(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    async def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        for _ in range(200):
            if self.proc.poll() is not None:
                return self.proc.returncode
            await asyncio.sleep(0.1)
        self.proc.kill()
        return self.proc.wait()


def stagemeld(workdir: Path, config: Path) -> Child:
    argv = [sys.executable, "-m", "bot.app.cli", "--config", str(config), "run", "--no-chat"]
    return Child(argv, workdir, "Telegram: polling")


def echo_bot(workdir: Path, api_base: str, token: str) -> Child:
    argv = [sys.executable, "-m", "bench.echo_bot", "--api-base", api_base, "--token", token]
    return Child(argv, workdir, "echo bot polling")


def rss_bytes(pid: int) -> int:
    fields = Path(f"/proc/{pid}/statm").read_text().split()
    return int(fields[1]) * PAGE


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU of a process (all its threads); None: this process."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


class Sampler:
    """Resident memory of a process, every `every` seconds, in the background."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid = pid
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            while True:
                self.samples.append((time.perf_counter(), rss_bytes(self.pid)))
                await asyncio.sleep(self.every)

    def max_between(self, start: float, end: float) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


class CpuMeter:
    """CPU used by the bot, by this process (stand-in + students) and by everything else
    on the machine, between `start()` and `stop()`, in cores."""

    def __init__(self, pid: int, extra: list[int] | None = None) -> None:
        self.pid = pid
        self.extra = extra or []

    def _now(self) -> tuple[float, float, float, float]:
        return (time.perf_counter(), cpu_seconds(self.pid), cpu_seconds(), machine_busy_seconds())

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> dict[str, float]:
        end = self._now()
        wall, bot, harness, machine = (b - a for a, b in zip(self._start, end, strict=True))
        wall = max(wall, 1e-9)
        return {
            "bot_cores": bot / wall,
            "harness_cores": harness / wall,
            "other_cores": max(0.0, machine - bot - harness) / wall,
        }
