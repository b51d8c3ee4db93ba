"""The WhatsApp row: `stagemeld run` with only WhatsApp on, its webhook driven by the
tests' Cloud API stand-in (every message the bot sends still checked against Meta's
spec and limits, every delivery signed like Meta's). Students walk whole journeys (the
report, then /status) back to back, as fast as the webhook answers: Meta's deliveries
are answered after the turn is handled, so one delivery = one student turn.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench import procs
from bench.measure import percentile
from bench.run import Plan
from standins.whatsapp import CloudAPIStandIn
from tests.support.whatsapp_harness import WaStudent, file_report_wa, whatsapp_section

ROOT = Path(__file__).resolve().parents[1]


class TimedStandIn(CloudAPIStandIn):
    """Records how long each webhook delivery took to be answered (= handled)."""

    def __init__(self) -> None:
        super().__init__()
        self.latencies: list[float] = []
        self.failed = 0

    async def deliver(
        self, payload: dict[str, Any] | bytes, *, signature: str | None = None
    ) -> int:
        started = time.perf_counter()
        status = await super().deliver(payload, signature=signature)
        self.latencies.append(time.perf_counter() - started)
        self.failed += status != 200
        return status


def config(workdir: Path, api: CloudAPIStandIn) -> Path:
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite+aiosqlite:///{workdir / 'stagemeld.db'}"
    data["network"] = str(ROOT / "network.yaml")  # the shipped directory, as it is
    data["keys"]["dir"] = str(workdir / "keys")
    data["logging"]["file"] = str(workdir / "stagemeld.log")
    data["web"] = {**data.get("web", {}), "host": "127.0.0.1", "port": 0}
    data["whatsapp"] = whatsapp_section(api)
    path = workdir / "bench-whatsapp.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def run_whatsapp(plan: Plan) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="stagemeld-bench-wa-"))
    try:
        async with TimedStandIn() as api:
            child = procs.Child(
                [*procs.stagemeld(workdir, config(workdir, api)).argv],
                workdir,
                "WhatsApp: webhook on",
            )
            await child.start()
            try:
                result = await _journeys(api, plan)
                result["peak_rss_mib"] = procs.peak_rss_bytes(child.pid) / 2**20
            finally:
                await child.stop()
            result["violations"] = len(api.violations)
            return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def _journeys(api: TimedStandIn, plan: Plan) -> dict[str, Any]:
    numbers = itertools.count(31_620_000_000)
    stop_at = time.perf_counter() + plan.saturation_seconds
    reports = 0

    async def student() -> None:
        nonlocal reports
        while time.perf_counter() < stop_at:
            s = WaStudent(api, str(next(numbers)))
            code = await file_report_wa(s, "Bij het gesprek zeiden ze iets over mijn naam.")
            reports += 1
            await s.say(f"/status {code}")

    started = time.perf_counter()
    api.latencies.clear()
    await asyncio.gather(*(student() for _ in range(plan.saturating)))
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in api.latencies]
    return {
        "students": plan.saturating,
        "seconds": elapsed,
        "deliveries": len(ms),
        "deliveries_per_s": len(ms) / elapsed,
        "reports_per_s": reports / elapsed,
        "latency": {"p50": percentile(ms, 50), "p95": percentile(ms, 95)},
        "errors": api.failed,
    }
