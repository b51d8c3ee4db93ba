"""Numbers from what the students recorded: percentiles, rates, micro-benchmarks."""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.students import Record, Turn
from storage.crypto import kdf_thread
from storage.crypto.kdf import KdfParams
from storage.crypto.receipt_keys import derive_receipt_keys, generate_receipt


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN when there is nothing to rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_ms(turns: list[Turn]) -> dict[str, float]:
    values = [t.latency * 1000 for t in turns]
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values, default=math.nan),
    }


def by_tag(record: Record, *tags: str) -> list[Turn]:
    return [t for t in record.turns if t.tag in tags]


def rate(record: Record, start: float, end: float) -> dict[str, float]:
    """Updates answered and reports filed per second between `start` and `end`."""
    span = max(end - start, 1e-9)
    answered = sum(1 for t in record.turns if start <= t.pushed + t.latency <= end)
    filed = sum(1 for at in record.filed if start <= at <= end)
    return {"updates_per_s": answered / span, "reports_per_s": filed / span}


def argon2_cost(repeat: int = 5) -> dict[str, float]:
    """One receipt derivation with the shipped cost (what filing and /status pay)."""
    params = KdfParams()
    salt = os.urandom(16)
    derive_receipt_keys(generate_receipt(), salt, params)  # warm the allocator
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        derive_receipt_keys(generate_receipt(), salt, params)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    workers = kdf_thread.default_workers()  # what the service's pool runs at once
    batch = 2 * workers
    with ThreadPoolExecutor(workers) as pool:
        started = time.perf_counter()
        codes = [generate_receipt() for _ in range(batch)]
        list(pool.map(lambda code: derive_receipt_keys(code, salt, params), codes))
        pooled = batch / (time.perf_counter() - started)
    return {
        "iterations": params.iterations,
        "lanes": params.lanes,
        "memory_mib": params.memory_kib / 1024,
        "wall_ms": statistics.median(walls) * 1000,
        "cpu_ms": statistics.median(cpus) * 1000,
        "per_s": 1 / statistics.median(walls),
        "workers": workers,
        "pool_per_s": pooled,  # the bound: what the cores derive per second at this cost
    }


def validation_cost(repeat: int = 2000) -> dict[str, float]:
    """What the stand-in spends checking one sendMessage (9 buttons, HTML) and one
    getUpdates against the spec — to know it is not what limits the harness."""
    from standins.spec import load_spec
    from standins.validate import Checker

    spec = load_spec()
    buttons = [[{"text": f"Keuze {i}", "callback_data": f"fb:grounds:v{i}"}] for i in range(9)]
    send = {
        "chat_id": "123456",
        "text": "<b>Waarom denk je dat dit gebeurde?</b> Je mag er meer kiezen. " * 3,
        "parse_mode": "HTML",
        "reply_markup": json.dumps({"inline_keyboard": buttons}),
    }
    poll = {"offset": "100", "timeout": "10", "allowed_updates": '["message","callback_query"]'}
    out: dict[str, float] = {}
    for name, raw in (("sendMessage", send), ("getUpdates", poll)):
        method = spec.method(name)
        assert method is not None
        started = time.perf_counter()
        for _ in range(repeat):
            Checker(spec).check_call(method, dict(raw), {})
        out[f"{name}_us"] = (time.perf_counter() - started) / repeat * 1e6
    return out


def summary(record: Record) -> dict[str, Any]:
    return {
        "all": latency_ms(record.turns),
        "turn": latency_ms(by_tag(record, "turn")),
        "submit": latency_ms(by_tag(record, "submit")),
        "status": latency_ms(by_tag(record, "status")),
        "errors": dict(record.errors),
        "filed": len(record.filed),
    }
