"""The results as Markdown, written between two markers in docs/performance.md.

This module renders the block; the targets table is bench/report_targets.py, the markers,
the history and the writing bench/report_doc.py. What `make bench` and the tests use is
here, in `__all__`."""

from __future__ import annotations

import math
from typing import Any

from bench import kdf_storm, replicas
from bench.report_cells import dig, error_count, num, usable
from bench.report_doc import (
    BEGIN,
    END,
    HISTORY_BEGIN,
    HISTORY_END,
    HISTORY_HEAD,
    history_row,
    write,
)
from bench.report_targets import target_rows, targets_table

__all__ = [
    "BEGIN",
    "END",
    "HISTORY_BEGIN",
    "HISTORY_END",
    "HISTORY_HEAD",
    "history_row",
    "render",
    "target_rows",
    "write",
]

LOADED = 0.25  # cores used by other processes on average: the numbers are then noisy
BORING = ("asyncio/", "<frozen runpy>", "threading.py", "bot/app/cli/", "concurrent/futures")


def _lat(data: dict[str, Any], *path: str) -> str:
    lat = dig(data, *path)
    if not lat or not lat.get("n"):
        return "—"
    return " / ".join(num(lat[k]) for k in ("p50", "p95", "p99", "max")) + f" (n={lat['n']})"


def _other_cores(run: dict[str, Any]) -> float:
    values = [dig(run, phase, "cpu", "other_cores") for phase in ("ramp", "at_rate", "saturation")]
    found = [v for v in values if v is not None]
    return sum(found) / len(found) if found else math.nan


def _ratio(ours: Any, floor: Any) -> str:
    return f"{ours / floor:.2f}" if ours and floor else "—"


def render(results: dict[str, Any]) -> str:
    echo = results.get("echo", {})
    runs = [("echo bot", echo), ("stagemeld, SQLite", results.get("sqlite", {}))]
    runs.append(("stagemeld, PostgreSQL", results.get("postgresql", {})))
    plan = results["plan"]
    busy = [_other_cores(r) for _, r in runs if r and "skipped" not in r]
    loaded = any(b > LOADED for b in busy if not math.isnan(b))
    lines = [
        BEGIN,
        "",
        f"Measured {results['when']} on **{results['cores']} cores**, Python "
        f"{results['python']}, commit `{results['commit']}`; `make bench` took "
        f"{results['seconds']:.0f} s. Load average (1/5/15 min) at the start: "
        f"{', '.join(str(x) for x in results['load_at_start'])}.",
        "",
    ]
    if loaded:
        lines += [
            f"> **Measured on a loaded machine**: other processes used "
            f"{', '.join(num(b, 2) for b in busy)} cores on average during the echo, SQLite "
            "and PostgreSQL runs (of "
            f"{results['cores']}). Throughput and latency are lower and noisier than on a "
            "quiet machine; ratios measured in the same run are the steadier numbers.",
            "",
        ]
    head = "| | " + " | ".join(name for name, _ in runs) + " |"
    lines += [head, "|---" * (len(runs) + 1) + "|"]

    def row(label: str, cell: Any) -> None:
        lines.append(
            f"| {label} | "
            + " | ".join(cell(r) if r and "skipped" not in r else "skipped" for _, r in runs)
            + " |"
        )

    conv = plan["conversations"]
    row("load average before → after", lambda r: f"{r['load_before'][0]} → {r['load_after'][0]}")
    row("other processes' CPU (cores)", lambda r: num(_other_cores(r), 2))
    row(
        f"ramp: {conv} conversations started, updates/s",
        lambda r: num(dig(r, "ramp", "updates_per_s"), 1),
    )
    row("ramp latency p50 / p95 / p99 / max (ms)", lambda r: _lat(r, "ramp", "latency"))
    row("bot CPU per update, ramp (ms)", lambda r: num(dig(r, "ramp", "bot_cpu_ms_per_update"), 1))
    row(
        f"**sustained updates/s**, whole journeys ({plan['saturating']} students at once)",
        lambda r: num(dig(r, "saturation", "updates_per_s"), 1),
    )
    row(
        "**reports filed/s**",
        lambda r: num(dig(r, "saturation", "reports_per_s"), 2) if r is not echo else "—",
    )
    row(
        "mix answered: turns / submits / status checks",
        lambda r: " / ".join(
            str((dig(r, "saturation", "mix") or {}).get(k, 0)) for k in ("turn", "submit", "status")
        ),
    )
    row(
        "bot CPU per update, whole journeys (ms)",
        lambda r: num(dig(r, "saturation", "bot_cpu_ms_per_update"), 1),
    )
    row(
        "bot / harness CPU in that window (cores)",
        lambda r: (
            f"{num(dig(r, 'saturation', 'cpu', 'bot_cores'), 2)} / "
            f"{num(dig(r, 'saturation', 'cpu', 'harness_cores'), 2)}"
        ),
    )
    row(
        "**ratio to the echo bot**, whole journeys",
        lambda r: _ratio(
            dig(r, "saturation", "updates_per_s"), dig(echo, "saturation", "updates_per_s")
        ),
    )
    row(
        "ratio to the echo bot, conversation turns (ramp)",
        lambda r: _ratio(dig(r, "ramp", "updates_per_s"), dig(echo, "ramp", "updates_per_s")),
    )
    row(
        "whole journeys: turn latency p50 / p95 / p99 / max (ms)",
        lambda r: _lat(r, "saturation", "turn"),
    )
    row("whole journeys: submit latency (ms)", lambda r: _lat(r, "saturation", "submit"))
    row("whole journeys: /status latency (ms)", lambda r: _lat(r, "saturation", "status"))
    rate = plan["rate"]
    row(
        f"offered {rate:.0f} updates/s over {conv} conversations: achieved",
        lambda r: num(dig(r, "at_rate", "achieved_per_s"), 1) if "at_rate" in r else "—",
    )
    row(
        f"**turn latency at {rate:.0f}/s offered** p50 / p95 / p99 / max (ms)",
        lambda r: _lat(r, "at_rate", "turn") if "at_rate" in r else "—",
    )
    row("**peak RSS** (MiB)", lambda r: num(dig(r, "memory", "peak_rss_mib"), 0))
    row(
        f"RSS idle → with {conv} live conversations (MiB)",
        lambda r: (
            f"{num(dig(r, 'memory', 'idle_rss_mib'))} → {num(dig(r, 'memory', 'live_rss_mib'))}"
            if dig(r, "memory", "idle_rss_mib")
            else "—"
        ),
    )
    row(
        "memory per conversation, second half of the ramp (KiB)",
        lambda r: (
            num(dig(r, "memory", "kib_per_conversation_slope"), 1)
            if dig(r, "memory", "idle_rss_mib")
            else "—"
        ),
    )
    row(
        "**memory per active conversation**: all growth since idle ÷ conversations (KiB)",
        lambda r: (
            num(dig(r, "memory", "kib_per_conversation"), 1)
            if dig(r, "memory", "idle_rss_mib")
            else "—"
        ),
    )
    row(
        "turn latency at half the ramp's rate p50 / p95 / p99 / max (ms)",
        lambda r: (
            f"{_lat(r, 'status_storm', 'baseline')} at {num(dig(r, 'status_storm', 'rate'))}/s"
            if "status_storm" in r
            else "—"
        ),
    )
    row(
        "others' p99 before → during 20 status checks (ms)",
        lambda r: (
            f"{num(dig(r, 'status_storm', 'baseline_p99'))} → "
            f"{num(dig(r, 'status_storm', 'during_p99'))}"
            if "status_storm" in r
            else "—"
        ),
    )
    row(
        "**status checks raise others' p99 by** (×)",
        lambda r: num(dig(r, "status_storm", "ratio"), 2) if "status_storm" in r else "—",
    )
    row(
        "20 status checks: all answered after (s)",
        lambda r: num(dig(r, "status_storm", "checks_seconds"), 1) if "status_storm" in r else "—",
    )
    row(
        "errors / Bot API violations",
        lambda r: f"{error_count(r)} / {len(r.get('violations', []))}",
    )
    a = results["argon2"]
    v = results["validation"]
    lines += [
        "",
        f"Argon2id with the shipped cost ({a['iterations']} iterations, {a['lanes']} lanes, "
        f"{a['memory_mib']:.0f} MiB): **{a['wall_ms']:.0f} ms** wall, {a['cpu_ms']:.0f} ms CPU "
        f"per derivation (median of 5), {a['per_s']:.1f}/s one at a time; "
        f"**{a.get('pool_per_s', a['per_s']):.1f} derivations/s** with "
        f"{a.get('workers', 1)} at once (the service's pool, one per core): the Argon2id "
        "bound. Every filed report and every /status check pays one, so whole journeys "
        f"are bounded by {a.get('pool_per_s', a['per_s']) / 2:.1f} a second.",
        "",
        f"The stand-in's spec validation costs {v['sendMessage_us']:.0f} µs per sendMessage "
        f"(HTML, 9 buttons) and {v['getUpdates_us']:.0f} µs per getUpdates: full validation "
        "stays on in the benchmark.",
    ]
    lines += targets_table(results)
    lines += _storm_and_replicas(results)
    lines += _whatsapp(results.get("whatsapp"))
    lines += _profile(results.get("sqlite", {}).get("profile"))
    lines += ["", END]
    return "\n".join(lines)


def _whatsapp(run: dict[str, Any] | None) -> list[str]:
    """The WhatsApp row: webhook deliveries per second, each handled before its 200."""
    if not run:
        return []
    lat = run.get("latency", {})
    return [
        "",
        "| WhatsApp (SQLite) | deliveries/s | reports/s | p50 ms | p95 ms | errors | "
        "spec violations | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
        f"| {run['students']} students, whole journeys, {run['seconds']:.0f} s "
        f"| **{num(run['deliveries_per_s'], 1)}** | {num(run['reports_per_s'], 2)} "
        f"| {num(lat.get('p50'), 0)} | {num(lat.get('p95'), 0)} | {run['errors']} "
        f"| {run['violations']} | {num(run.get('peak_rss_mib'), 0)} |",
    ]


def _storm_and_replicas(results: dict[str, Any]) -> list[str]:
    """The detail behind 4b and 6, in the tables their own commands print."""
    out: list[str] = []
    storm: Any = results.get("kdf_storm")
    if usable(storm):
        out += ["", kdf_storm.table(kdf_storm.from_dict(storm))]
    rep: Any = results.get("replicas")
    if usable(rep) and rep.get("runs"):
        runs = [replicas.Run(**r) for r in rep["runs"]]
        out += ["", replicas.table(runs, rep.get("cores"))]
    return out


def _profile(profile: dict[str, Any] | None) -> list[str]:
    if not profile:
        return []
    if "skipped" in profile:
        return ["", f"Profile: skipped ({profile['skipped']})."]
    out = [
        "",
        f"Top of the profile (py-spy, samples of the thread holding the GIL, i.e. the "
        f"service's Python CPU; {profile['samples']} samples during whole journeys on SQLite):",
        "",
        "| on CPU (self) | share | on the stack (inclusive) | share |",
        "|---|---|---|---|",
    ]
    inclusive = [(n, s) for n, s in profile["inclusive"] if not any(b in n for b in BORING)]
    for (own, own_share), (inc, inc_share) in zip(
        profile["self"][:15], inclusive[:15], strict=False
    ):
        out.append(f"| `{own}` | {own_share:.1%} | `{inc}` | {inc_share:.1%} |")
    return out
