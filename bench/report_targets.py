"""The targets table: each target of docs/performance.md, its SQLite and PostgreSQL
value with met or missed, and what bounds it."""

from __future__ import annotations

import math
from typing import Any

from bench.report_cells import dig, error_count, num, usable


def _verdict(value: float, target: float, *, at_least: bool) -> str:
    """'met', or '**missed** (needs 2.4× more)' / '**missed** (1.3× over)'."""
    if (value >= target) if at_least else (value < target):
        return "met"
    if at_least:
        how = f"needs {target / value:.1f}× more" if value > 0 else "nothing measured"
    else:
        how = f"{value / target:.1f}× over"
    return f"**missed** ({how})"


def _journey_cpu(run: dict[str, Any]) -> tuple[float, float] | None:
    """(updates per filed report, the service's CPU ms per journey) in whole journeys."""
    mix = dig(run, "saturation", "mix") or {}
    per_update = dig(run, "saturation", "bot_cpu_ms_per_update")
    if not mix.get("submit") or per_update is None:
        return None
    updates = sum(mix.values()) / mix["submit"]
    return updates, per_update * updates


def target_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """One row per performance target (docs/performance.md): (target, SQLite,
    PostgreSQL, what bounds it), each cell computed from this run's results."""
    echo = results.get("echo", {})
    plan = results["plan"]
    runs = {k: results.get(k, {}) for k in ("sqlite", "postgresql")}
    a = results.get("argon2", {})
    pool = a.get("pool_per_s", a.get("per_s"))
    rows: list[tuple[str, str, str, str]] = []

    def both(
        label: str, cell: Any, bounds: Any, *, needs: tuple[str, ...] = (), common: str = ""
    ) -> None:
        cells, why = [], [common] if common else []
        for name, run in runs.items():
            if not usable(run) or any(dig(run, *k.split(".")) is None for k in needs):
                cells.append("—")
                continue
            cells.append(cell(run))
            reason = bounds(run)
            if reason:
                why.append(f"{'SQLite' if name == 'sqlite' else 'PostgreSQL'}: {reason}")
        rows.append((label, cells[0], cells[1], "; ".join(why) or "—"))

    conv = plan["conversations"]
    both(
        f"{conv} concurrent conversations, no errors",
        lambda r: (
            f"{conv:,} live, {error_count(r)} errors — "
            + ("met" if error_count(r) == 0 else "**missed**")
        ),
        lambda r: f"{len(r.get('violations', []))} Bot API violations",
        needs=("ramp",),
    )
    echo_ramp = dig(echo, "ramp", "updates_per_s")
    echo_cpu = dig(echo, "ramp", "bot_cpu_ms_per_update")

    def turns(r: dict[str, Any]) -> str:
        ours = dig(r, "ramp", "updates_per_s")
        if not ours or not echo_ramp:
            return "—"
        ratio = ours / echo_ramp
        return f"{ratio:.2f}× ({num(ours, 1)} vs {num(echo_ramp, 1)}/s) — " + _verdict(
            ratio, 0.5, at_least=True
        )

    both(
        "1. conversation turns (ramp) ≥ 0.5× the echo bot",
        turns,
        lambda r: (
            f"bot CPU per update {num(dig(r, 'ramp', 'bot_cpu_ms_per_update'), 1)} ms "
            f"vs echo {num(echo_cpu, 1)} ms"
        ),
        needs=("ramp",),
    )
    rate = plan["rate"]

    def p99(r: dict[str, Any]) -> str:
        value = dig(r, "at_rate", "turn", "p99")
        achieved = dig(r, "at_rate", "achieved_per_s") or 0.0
        if value is None or math.isnan(value):
            return "—"
        text = f"{num(value)} ms at {num(achieved)}/s — " + _verdict(value, 100, at_least=False)
        if value < 100 and achieved < 0.95 * rate:
            text = f"{num(value)} ms at {num(achieved)}/s — **missed** (answered " + (
                f"{achieved / rate:.0%} of the {rate:.0f}/s offered)"
            )
        return text

    both(
        f"2. p99 < 100 ms at {rate:.0f} updates/s offered to {conv:,} conversations",
        p99,
        lambda r: (
            f"capacity (ramp) {num(dig(r, 'ramp', 'updates_per_s'))}/s vs "
            f"{rate:.0f}/s offered; bot CPU {num(dig(r, 'at_rate', 'bot_cpu_ms_per_update'), 1)} "
            "ms per update at that rate"
        ),
        needs=("at_rate",),
    )

    def journeys(r: dict[str, Any]) -> str:
        reports = dig(r, "saturation", "reports_per_s")
        if reports is None or not pool:
            return "—"
        share = reports / (pool / 2)
        return (
            f"{share:.0%} ({num(reports, 2)} reports/s of the bound {pool / 2:.1f}/s) — "
            + _verdict(share, 0.8, at_least=True)
        )

    def journey_bound(r: dict[str, Any]) -> str:
        found = _journey_cpu(r)
        if not found:
            return ""
        updates, cpu = found
        return (
            f"the service's whole CPU {num(cpu)} ms per journey "
            f"({num(dig(r, 'saturation', 'bot_cpu_ms_per_update'), 1)} ms × {updates:.1f} "
            f"updates), {num(dig(r, 'saturation', 'cpu', 'bot_cores'), 2)} of "
            f"{results.get('cores')} cores busy"
        )

    both(
        "3. whole journeys ≥ 80 % of the Argon2id bound (2 derivations per journey)",
        journeys,
        journey_bound,
        needs=("saturation",),
        common=f"Argon2id {num(a.get('cpu_ms'))} ms CPU ({num(a.get('wall_ms'))} ms wall) × 2 "
        f"per journey, {num(pool, 1)} derivations/s with {a.get('workers', 1)} at once",
    )
    both(
        f"4a. {plan.get('storm', 20)} status checks raise others' p99 < 2×",
        lambda r: (
            f"{num(dig(r, 'status_storm', 'ratio'), 2)}× — "
            + _verdict(dig(r, "status_storm", "ratio"), 2, at_least=False)
        ),
        lambda r: (
            f"others' p99 {num(dig(r, 'status_storm', 'baseline_p99'))} → "
            f"{num(dig(r, 'status_storm', 'during_p99'))} ms at "
            f"{num(dig(r, 'status_storm', 'rate'))}/s; the checks' Argon2id "
            f"{num(a.get('wall_ms'))} ms each, all answered after "
            f"{num(dig(r, 'status_storm', 'checks_seconds'), 1)} s"
        ),
        needs=("status_storm.ratio",),
    )
    storm: Any = results.get("kdf_storm")
    if usable(storm):
        ratio = storm["file_ratio"]
        cell = f"{ratio:.2f}× (in-process) — " + _verdict(ratio, 2, at_least=False)
        why = (
            f"filing {storm['file_quiet']:.2f} s quiet → {storm['file_storm']:.2f} s during "
            f"{storm['storm']} checks (median of {storm['rounds']}); one derivation alone "
            f"{storm['one_derivation'] * 1000:.0f} ms, {storm['per_second']:.1f}/s with "
            f"{storm['workers']} at once"
        )
    else:
        cell = f"skipped ({storm['skipped']})" if isinstance(storm, dict) else "not run"
        why = "—"
    rows.append(
        ("4b. a student filing waits < 2× for the receipt during the storm", cell, "—", why)
    )
    both(
        "5. < 50 KiB per active conversation (all growth since idle)",
        lambda r: (
            f"{num(dig(r, 'memory', 'kib_per_conversation'), 1)} KiB — "
            + _verdict(dig(r, "memory", "kib_per_conversation"), 50, at_least=False)
        ),
        lambda r: (
            f"burst high-water {num(dig(r, 'memory', 'kib_per_conversation'), 1)} KiB "
            f"vs slope {num(dig(r, 'memory', 'kib_per_conversation_slope'), 1)} KiB "
            "(second half of the ramp)"
        ),
        needs=("memory.idle_rss_mib",),
    )
    rows.append(_replicas_row(results.get("replicas"), results.get("cores") or 0))
    return rows


def _replicas_row(rep: Any, cores: int) -> tuple[str, str, str, str]:
    label = "6. two replicas behind HAProxy ≥ 1.6× one (turns/s, PostgreSQL)"
    if not usable(rep) or not rep.get("ratio"):
        why = rep.get("skipped") if isinstance(rep, dict) else None
        return (label, "—", f"skipped ({why})" if why else "not run", "—")
    ratio = rep["ratio"]
    one, two = rep["runs"][0], rep["runs"][1]
    if cores < 4:
        verdict = f"measured ({cores} cores: not the target's set-up)"
    else:
        verdict = _verdict(ratio, 1.6, at_least=True)
    cell = f"{ratio:.2f}× ({one['turns_per_s']:.1f} → {two['turns_per_s']:.1f}/s) — {verdict}"
    return (label, "—", cell, "; ".join(_cpu_breakdown(r) for r in (one, two)))


def _cpu_breakdown(run: dict[str, Any]) -> str:
    cpu = run["cpu"]
    replicas = " + ".join(f"{v:.2f}" for k, v in sorted(cpu.items()) if k.startswith("replica"))
    return (
        f"{run['replicas']} replica{'s' if run['replicas'] > 1 else ''}: {replicas} cores, "
        f"postgres {cpu.get('postgres', 0):.2f}, haproxy {cpu.get('haproxy', 0):.2f}, "
        f"harness {cpu.get('harness', 0):.2f}, rest {cpu.get('everything else', 0):.2f}"
    )


def targets_table(results: dict[str, Any]) -> list[str]:
    out = [
        "",
        "| target | SQLite | PostgreSQL | what bounds it |",
        "|---|---|---|---|",
    ]
    out += [f"| {' | '.join(row)} |" for row in target_rows(results)]
    return out
