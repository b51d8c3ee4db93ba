"""Two replicas behind HAProxy against one, on one PostgreSQL database.

    .venv/bin/python -m bench.replicas [--seconds 20] [--students 200]

Both runs are the same but for the number of replicas: real `stagemeld run` processes in
webhook mode (as deployed, docs/deploy.md) behind Debian's HAProxy on loopback, Telegram
played by the tests' retrying `Deliverer`, the bench's students taking conversation
turns (the draft path, no Argon2id) as fast as they are answered, for `--seconds`.
Prints turns/s for one and two replicas, their ratio, and where the CPU went (each
replica, the proxy, this harness, everything else), which is what bounds the ratio on
a machine with few cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import procs
from bench.measure import latency_ms
from bench.run import postgres_database
from bench.standin import BenchStandIn
from bench.students import Crowd, Pacer, Record, flow_button
from tests.support.harness import TOKEN, Process, free_port
from tests.support.proxy_harness import (
    HAPROXY,
    HOOK,
    Deliverer,
    HAProxy,
    Replica,
    haproxy_config,
    replica_config,
    wait_until_up,
)

SECRET = "bench-replicas-webhook-secret-0123"


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL process on this machine (the database's share)."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = procs.cpu_seconds(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _since(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


class Skipped(Exception):
    """This machine cannot run the comparison; the message says why."""


@dataclass(frozen=True)
class Run:
    replicas: int
    turns_per_s: float
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float]  # cores used on average during the run, by whom
    errors: int


async def one_run(replicas: int, seconds: float, students: int, tmp: Path) -> Run:
    async with BenchStandIn(TOKEN) as api, postgres_database() as url:
        if url is None:
            raise Skipped("PostgreSQL is not on 127.0.0.1:5432: replicas need it")
        ports = [Replica(free_port(), free_port()) for _ in range(replicas)]
        running = []
        for i, replica in enumerate(ports):
            config = replica_config(tmp, url, api, replica, SECRET)
            process = Process(tmp, config, f"bench-r{i}.txt")
            process.start()
            await process.wait_for("Telegram: webhook", timeout=120)
            running.append(process)
        front = free_port()
        proxy = HAProxy(tmp, haproxy_config(front, ports, HOOK))
        proxy.start()
        deliverer = Deliverer(api, f"http://127.0.0.1:{front}{HOOK}", SECRET)
        try:
            await wait_until_up(f"http://127.0.0.1:{front}/healthz")
            deliverer.start()
            crowd, record = Crowd(api, students, flow_button), Record()
            pids = {f"replica {i}": p.proc.pid for i, p in enumerate(running) if p.proc}
            if proxy.proc is not None:
                pids["haproxy"] = proxy.proc.pid
            before = {who: procs.cpu_seconds(pid) for who, pid in pids.items()}
            mine, busy = procs.cpu_seconds(), procs.machine_busy_seconds()
            database = postgres_cpu()
            elapsed = await crowd.run(record, Pacer(None), seconds=seconds)
            cpu_db = _since(database, postgres_cpu()) / elapsed
            cpu = {
                who: (procs.cpu_seconds(pid) - before[who]) / elapsed for who, pid in pids.items()
            }
            cpu["harness"] = (procs.cpu_seconds() - mine) / elapsed
            cpu["postgres"] = cpu_db
            cpu["everything else"] = (procs.machine_busy_seconds() - busy) / elapsed - sum(
                cpu.values()
            )
        finally:
            await deliverer.stop()
            proxy.stop()
            for process in running:
                process.stop(40)
    lat = latency_ms(record.turns)
    return Run(
        replicas, len(record.turns) / elapsed, lat["p50"], lat["p99"], cpu,
        sum(record.errors.values()),
    )  # fmt: skip


def table(runs: list[Run], cores: int | None = None) -> str:
    """`cores`: of the machine the runs were made on (default: this one)."""
    base = runs[0].turns_per_s
    lines = [
        f"Machine: {cores or os.cpu_count()} cores. Conversation turns through HAProxy, "
        "PostgreSQL.",
        "",
        "| replicas | turns/s | ratio | p50 / p99 (ms) | CPU (cores): replicas · PostgreSQL · "
        "proxy · harness · the rest of the machine | errors |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        replicas = sum(v for k, v in r.cpu.items() if k.startswith("replica"))
        lines.append(
            f"| {r.replicas} | {r.turns_per_s:.1f} | {r.turns_per_s / base:.2f}× "
            f"| {r.p50_ms:,.0f} / {r.p99_ms:,.0f} | {replicas:.2f} · {r.cpu['postgres']:.2f} · "
            f"{r.cpu.get('haproxy', 0):.2f} · {r.cpu['harness']:.2f} · "
            f"{r.cpu['everything else']:.2f} | {r.errors} |"
        )
    return "\n".join(lines)


async def measure(seconds: float, students: int) -> list[Run]:
    """One replica, then two: the runs, in that order. Raises Skipped without HAProxy
    or PostgreSQL."""
    if not Path(HAPROXY).exists():
        raise Skipped("HAProxy is not installed (`make proxy` installs Debian's)")
    runs = []
    for replicas in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(await one_run(replicas, seconds, students, Path(tmp)))
    return runs


async def results(seconds: float, students: int) -> dict[str, Any]:
    """`measure` as data for the bench's results JSON (bench/report.py renders it):
    the runs, the ratio two / one, the cores; or {"skipped": why}."""
    try:
        runs = await measure(seconds, students)
    except Skipped as why:
        return {"skipped": str(why)}
    return {
        "cores": os.cpu_count(),
        "seconds": seconds,
        "students": students,
        "runs": [asdict(r) for r in runs],
        "ratio": runs[1].turns_per_s / runs[0].turns_per_s if runs[0].turns_per_s else None,
    }


async def main_async(seconds: float, students: int) -> str:
    return table(await measure(seconds, students))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    try:
        print(asyncio.run(main_async(args.seconds, args.students)))
    except Skipped as why:
        print(f"two replicas behind a proxy: skipped: {why}")


if __name__ == "__main__":
    main()
