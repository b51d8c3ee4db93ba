"""The runs: the echo bot, then stagemeld on SQLite and on PostgreSQL, each a fresh
process with a fresh database, driven through the same phases by the same crowd."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procs
from bench.measure import latency_ms, percentile, rate, summary
from bench.standin import BenchStandIn
from bench.students import FULL, Crowd, Pacer, Record, Student, any_button, flow_button

TOKEN = "123456:BENCH-token"
WARM_CHATS = 50_000_000
PROBE_CHATS = 60_000_000
SATURATING_CHATS = 70_000_000
STATUS_CHECKS = 20
RAMP_STEPS = 2  # /start and the safety question: a stored draft waiting for its phase


@dataclass(frozen=True)
class Plan:
    conversations: int = 1000  # live at once from the ramp on
    rate: float = 100.0  # updates a second offered in the latency phases
    rate_seconds: float = 20.0
    baseline_seconds: float = 6.0  # of the status storm, before the 20 checks fire
    saturating: int = 50  # students doing whole journeys back to back, as fast as answered
    saturation_seconds: float = 45.0
    settle_seconds: float = 15.0  # not counted: until journeys are spread over their steps
    profile_seconds: float = 12.0
    kdf_rounds: int = 5  # bench/kdf_storm.py: filing and a login, quiet and in a storm
    storm: int = 20  # status checks at once, there and in the status storm above
    replicas_seconds: float = 20.0  # bench/replicas.py: each of one and two replicas
    replicas_students: int = 200

    @classmethod
    def quick(cls) -> Plan:
        return cls(200, 100.0, 6.0, 3.0, 20, 12.0, 4.0, 5.0, 2, 20, 6.0, 50)


async def drain(api: BenchStandIn, quiet: float = 1.0, limit: float = 60.0) -> None:
    """Between phases: until the bot has fetched every update and answered nothing for
    `quiet` seconds, so no phase inherits the previous one's queue."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        before = api.handled
        await asyncio.sleep(quiet)
        if api.handled == before and not api.telegram.queue.undelivered():
            return


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def ramp(
    crowd: Crowd, child: procs.Child, result: dict[str, Any], api: BenchStandIn | None = None
) -> Record:
    """Every slot starts its conversation and answers two questions: all conversations
    are then live at once (drafts stored), as fast as the bot answers. With `api`, in
    two halves, the service's memory taken after each (see `per_conversation`)."""
    record = Record()
    meter = procs.CpuMeter(child.pid)
    meter.start()
    bot_cpu = procs.cpu_seconds(child.pid)
    if api is None:
        elapsed = await crowd.run(record, Pacer(None), steps_each=RAMP_STEPS)
    else:
        half = Crowd(api, 0, crowd.choose)
        half.slots, rest = (
            crowd.slots[: len(crowd.slots) // 2],
            crowd.slots[len(crowd.slots) // 2 :],
        )
        elapsed = await half.run(record, Pacer(None), steps_each=RAMP_STEPS)
        await drain(api)
        result["rss_half"] = procs.rss_bytes(child.pid)
        half.slots = rest
        elapsed += await half.run(record, Pacer(None), steps_each=RAMP_STEPS)
        await drain(api)
        result["rss_full"] = procs.rss_bytes(child.pid)
    result["ramp"] = {
        "seconds": elapsed,
        "updates_per_s": len(record.turns) / elapsed,
        "latency": latency_ms(record.turns),
        "errors": dict(record.errors),
        "cpu": meter.stop(),
        "bot_cpu_ms_per_update": _per_update(child, bot_cpu, record),
    }
    return record


def _per_update(child: procs.Child, cpu_before: float, record: Record) -> float:
    used = procs.cpu_seconds(child.pid) - cpu_before
    return used / max(len(record.turns), 1) * 1000


def journeys(api: BenchStandIn, plan: Plan, choose: Any) -> Crowd:
    """`plan.saturating` students, each from /start to a receipt and /status, then the
    next student: enough updates in flight to keep any bot busy on this machine."""
    crowd = Crowd(api, plan.saturating, choose, first_chat=SATURATING_CHATS)
    crowd.set_journey(FULL)
    return crowd


async def saturate(crowd: Crowd, child: procs.Child, plan: Plan) -> dict[str, Any]:
    """Whole journeys as fast as the bot answers: sustained updates and reports per
    second over the window after `settle_seconds`."""
    record = Record()
    meter = procs.CpuMeter(child.pid)
    bot_cpu = procs.cpu_seconds(child.pid)
    started = time.perf_counter()
    meter.start()
    await crowd.run(record, Pacer(None), seconds=plan.saturation_seconds)
    cpu = meter.stop()
    end = time.perf_counter()
    window = rate(record, started + plan.settle_seconds, end)
    return {
        **window,
        **summary(record),
        "cpu": cpu,
        "bot_cpu_ms_per_update": _per_update(child, bot_cpu, record),
        "mix": dict(Counter(t.tag for t in record.turns)),
    }


async def at_rate(crowd: Crowd, child: procs.Child, plan: Plan) -> dict[str, Any]:
    """Conversation turns offered at `plan.rate` a second over all live conversations."""
    record = Record()
    meter = procs.CpuMeter(child.pid)
    bot_cpu = procs.cpu_seconds(child.pid)
    meter.start()
    elapsed = await crowd.run(record, Pacer(plan.rate), seconds=plan.rate_seconds)
    return {
        "offered_per_s": plan.rate,
        "achieved_per_s": len(record.turns) / elapsed,
        **summary(record),
        "cpu": meter.stop(),
        "bot_cpu_ms_per_update": _per_update(child, bot_cpu, record),
    }


async def status_storm(
    api: BenchStandIn, crowd: Crowd, plan: Plan, capacity: float
) -> dict[str, Any]:
    """Conversation turns at half of what the bot sustained in the ramp (at most
    `plan.rate`), so latency is service time, not a queue; after a baseline, 20
    students check a receipt at the same moment (20 Argon2id derivations). Others' p99
    while the checks run, against the baseline."""
    background_rate = min(plan.rate, capacity / 2)
    record, stop = Record(), asyncio.Event()
    background = asyncio.create_task(crowd.run(record, Pacer(background_rate), stop=stop))
    await asyncio.sleep(plan.baseline_seconds)
    fired = time.perf_counter()
    checkers = [
        Student(api, PROBE_CHATS + i, (("status", "", "status"),)) for i in range(STATUS_CHECKS)
    ]
    for student in checkers:
        digits = f"{random.randrange(10**16):016d}"
        student.receipt = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    probes = Record()
    await asyncio.gather(*(s.step(probes, flow_button) for s in checkers))
    done = time.perf_counter()
    await asyncio.sleep(0.5)
    stop.set()
    await background
    base = [t.latency * 1000 for t in record.turns if t.pushed < fired]
    during = [t.latency * 1000 for t in record.turns if fired <= t.pushed <= done]
    base_p99, during_p99 = percentile(base, 99), percentile(during, 99)
    return {
        "rate": background_rate,
        "baseline": latency_ms([t for t in record.turns if t.pushed < fired]),
        "checks": STATUS_CHECKS,
        "checks_seconds": done - fired,
        "checks_latency": latency_ms(probes.turns),
        "baseline_p99": base_p99,
        "during_p99": during_p99,
        "baseline_n": len(base),
        "during_n": len(during),
        "ratio": during_p99 / base_p99 if base_p99 else float("nan"),
        "errors": dict(probes.errors) | dict(record.errors),
    }


async def profile(crowd: Crowd, child: procs.Child, plan: Plan, out: Path) -> dict[str, Any]:
    """py-spy on the service while full journeys run as fast as it answers."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return {"skipped": "py-spy not installed (make installs it from requirements/dev.txt)"}
    raw = out / "profile.txt"
    # --gil: only the thread running Python code, i.e. what the CPU does for the bot.
    argv = [
        spy,
        "record",
        "--pid",
        str(child.pid),
        "--duration",
        str(int(plan.profile_seconds)),
        "--rate",
        "100",
        "--gil",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(raw),
    ]
    spying = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    await crowd.run(Record(), Pacer(None), seconds=plan.profile_seconds + 1)
    await spying.wait()
    if not raw.exists():
        return {"skipped": f"py-spy exited {spying.returncode} without a profile"}
    return top_of_profile(raw.read_text(encoding="utf-8"), top=40)


def top_of_profile(raw: str, top: int = 15) -> dict[str, Any]:
    """Collapsed stacks -> the functions most often on the CPU (self) and on the stack
    (inclusive), as shares of all samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        total += n
        if frames:
            own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n

    def share(c: Counter[str]) -> list[tuple[str, float]]:
        return [(name, n / total) for name, n in c.most_common(top)]

    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


def _frame(frame: str) -> str:
    """'handle (bot/intake/turns.py:90)' -> 'handle (bot/intake/turns.py)'; paths shortened."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    for marker in ("site-packages/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({Path(path).as_posix().split('/bench/', 1)[-1]})"


async def run_service(
    label: str, database_url: str | None, plan: Plan, *, spy: bool
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"stagemeld-bench-{label}-"))
    result: dict[str, Any] = {"label": label, "load_before": loadavg()}
    try:
        async with BenchStandIn(TOKEN) as api:
            config = procs.service_config(workdir, api.base_url, TOKEN, database_url)
            child = procs.stagemeld(workdir, config)
            await child.start()
            try:
                await _service_phases(api, child, plan, result, spy=spy, workdir=workdir)
            finally:
                result["exit_code"] = await child.stop()
            result["violations"] = list(api.violations[:5])
    finally:
        result["load_after"] = loadavg()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


async def _service_phases(
    api: BenchStandIn,
    child: procs.Child,
    plan: Plan,
    result: dict[str, Any],
    *,
    spy: bool,
    workdir: Path,
) -> None:
    with procs.Sampler(child.pid) as memory:
        warm = Crowd(api, 20, flow_button, first_chat=WARM_CHATS)
        await warm.run(Record(), Pacer(None), steps_each=3)
        await asyncio.sleep(1.0)
        idle = procs.rss_bytes(child.pid)
        crowd = Crowd(api, plan.conversations, flow_button)
        start = time.perf_counter()
        await ramp(crowd, child, result, api)
        second_half = plan.conversations - plan.conversations // 2
        result["at_rate"] = await at_rate(crowd, child, plan)
        # Before any Argon2id: its 64 MiB working area is no per-conversation cost.
        live = memory.max_between(start, time.perf_counter())
        await drain(api)
        result["memory"] = {
            "idle_rss_mib": idle / 2**20,
            "live_rss_mib": live / 2**20,
            "conversations": plan.conversations,
            # Upper bound: all growth since idle, including the high-water mark of the
            # ramp's burst (every conversation's /start in flight at once).
            "kib_per_conversation": (live - idle) / 1024 / plan.conversations,
            # The slope: what the second half of the conversations added once the first
            # half had already reached that burst's high-water mark.
            "kib_per_conversation_slope": (
                (result.pop("rss_full") - result.pop("rss_half")) / 1024 / second_half
            ),
        }
        capacity = result["ramp"]["updates_per_s"]
        result["status_storm"] = await status_storm(api, crowd, plan, capacity)
        await drain(api)
        full = journeys(api, plan, flow_button)
        result["saturation"] = await saturate(full, child, plan)
        if spy:
            result["profile"] = await profile(full, child, plan, workdir)
        result["memory"]["peak_rss_mib"] = procs.peak_rss_bytes(child.pid) / 2**20


async def run_echo(plan: Plan) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="stagemeld-bench-echo-"))
    result: dict[str, Any] = {"label": "echo", "load_before": loadavg()}
    try:
        async with BenchStandIn(TOKEN) as api:
            child = procs.echo_bot(workdir, api.base_url, TOKEN)
            await child.start()
            try:
                crowd = Crowd(api, plan.conversations, any_button)
                await ramp(crowd, child, result)
                await drain(api)
                result["saturation"] = await saturate(journeys(api, plan, any_button), child, plan)
                result["memory"] = {"peak_rss_mib": procs.peak_rss_bytes(child.pid) / 2**20}
            finally:
                result["exit_code"] = await child.stop()
            result["violations"] = list(api.violations[:5])
    finally:
        result["load_after"] = loadavg()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """A database of our own on 127.0.0.1:5432 (dropped afterwards), or None if absent."""
    import asyncpg

    admin = None
    for user in ("postgres", "root"):
        with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
            admin = await asyncpg.connect(
                host="127.0.0.1", port=5432, user=user, database="test", timeout=3
            )
            break
    if admin is None:
        yield None
        return
    name = f"stagemeld_bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{user}@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
