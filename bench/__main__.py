"""`python -m bench [--quick] [--no-postgres] [--no-whatsapp] [--no-kdf-storm] [--no-replicas]
[--no-write]` — see bench/__init__.py. One run: the phases of bench/run.py, WhatsApp,
the Argon2id storm (bench/kdf_storm.py) and one replica against two (bench/replicas.py),
all in one results JSON and one targets table (bench/report.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.measure import argon2_cost, validation_cost
from bench.run import Plan, loadavg, postgres_database, run_echo, run_service
from bench.whatsapp import run_whatsapp

ROOT = Path(__file__).resolve().parents[1]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan.quick() if args.quick else Plan()
    started = time.time()
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "commit": _commit(),
        "plan": plan.__dict__,
        "quick": args.quick,
        "load_at_start": loadavg(),
    }

    def step(what: str) -> None:
        print(f"[{time.time() - started:5.0f}s] {what} (load {loadavg()})", flush=True)

    step("Argon2id and stand-in validation cost")
    results["argon2"] = argon2_cost()
    results["validation"] = validation_cost()
    step("echo bot")
    results["echo"] = await run_echo(plan)
    step("stagemeld on SQLite")
    results["sqlite"] = await run_service("sqlite", None, plan, spy=not args.no_profile)
    if not args.no_postgres:
        async with postgres_database() as url:
            if url is None:
                results["postgresql"] = {"skipped": "PostgreSQL not reachable on 127.0.0.1:5432"}
            else:
                step("stagemeld on PostgreSQL")
                results["postgresql"] = await run_service("postgresql", url, plan, spy=False)
    if not args.no_whatsapp:
        step("stagemeld over WhatsApp (webhook deliveries against the Cloud API stand-in)")
        results["whatsapp"] = await run_whatsapp(plan)
    if not args.no_kdf_storm:
        step(f"Argon2id storm: filing and a login while {plan.storm} status checks wait")
        from bench import kdf_storm

        storm = await kdf_storm.measure(plan.kdf_rounds, plan.storm)
        results["kdf_storm"] = kdf_storm.as_dict(storm)
    if not args.no_replicas:
        step("one replica, then two, behind HAProxy on PostgreSQL")
        from bench import replicas

        results["replicas"] = await replicas.results(plan.replicas_seconds, plan.replicas_students)
    results["seconds"] = time.time() - started
    step("done")
    return results


def _commit() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a short run while developing")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-whatsapp", action="store_true")
    parser.add_argument("--no-kdf-storm", action="store_true", help="skip bench/kdf_storm.py")
    parser.add_argument("--no-replicas", action="store_true", help="skip bench/replicas.py")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "latest.json")
    ns = parser.parse_args()
    results = asyncio.run(main(ns))
    ns.json.parent.mkdir(parents=True, exist_ok=True)
    ns.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    table = report.render(results)
    print(table)
    if not ns.no_write and not ns.quick:
        report.write(ROOT / "docs" / "performance.md", table, report.history_row(results))
    sys.exit(0)
