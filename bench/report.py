"""The results as Markdown, written between two markers in docs/performance.md."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench import kdf_storm, replicas

BEGIN = "<!-- bench:begin (written by `make bench`; edit outside the markers) -->"
END = "<!-- bench:end -->"
LOADED = 0.25  # cores used by other processes on average: the numbers are then noisy
BORING = ("asyncio/", "<frozen runpy>", "threading.py", "bot/app/cli/", "concurrent/futures")


def _n(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _lat(data: dict[str, Any], *path: str) -> str:
    lat = _get(data, *path)
    if not lat or not lat.get("n"):
        return "—"
    return " / ".join(_n(lat[k]) for k in ("p50", "p95", "p99", "max")) + f" (n={lat['n']})"


def _other_cores(run: dict[str, Any]) -> float:
    values = [_get(run, phase, "cpu", "other_cores") for phase in ("ramp", "at_rate", "saturation")]
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
            f"{', '.join(_n(b, 2) for b in busy)} cores on average during the echo, SQLite "
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
    row("other processes' CPU (cores)", lambda r: _n(_other_cores(r), 2))
    row(
        f"ramp: {conv} conversations started, updates/s",
        lambda r: _n(_get(r, "ramp", "updates_per_s"), 1),
    )
    row("ramp latency p50 / p95 / p99 / max (ms)", lambda r: _lat(r, "ramp", "latency"))
    row("bot CPU per update, ramp (ms)", lambda r: _n(_get(r, "ramp", "bot_cpu_ms_per_update"), 1))
    row(
        f"**sustained updates/s**, whole journeys ({plan['saturating']} students at once)",
        lambda r: _n(_get(r, "saturation", "updates_per_s"), 1),
    )
    row(
        "**reports filed/s**",
        lambda r: _n(_get(r, "saturation", "reports_per_s"), 2) if r is not echo else "—",
    )
    row(
        "mix answered: turns / submits / status checks",
        lambda r: " / ".join(
            str((_get(r, "saturation", "mix") or {}).get(k, 0))
            for k in ("turn", "submit", "status")
        ),
    )
    row(
        "bot CPU per update, whole journeys (ms)",
        lambda r: _n(_get(r, "saturation", "bot_cpu_ms_per_update"), 1),
    )
    row(
        "bot / harness CPU in that window (cores)",
        lambda r: (
            f"{_n(_get(r, 'saturation', 'cpu', 'bot_cores'), 2)} / "
            f"{_n(_get(r, 'saturation', 'cpu', 'harness_cores'), 2)}"
        ),
    )
    row(
        "**ratio to the echo bot**, whole journeys",
        lambda r: _ratio(
            _get(r, "saturation", "updates_per_s"), _get(echo, "saturation", "updates_per_s")
        ),
    )
    row(
        "ratio to the echo bot, conversation turns (ramp)",
        lambda r: _ratio(_get(r, "ramp", "updates_per_s"), _get(echo, "ramp", "updates_per_s")),
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
        lambda r: _n(_get(r, "at_rate", "achieved_per_s"), 1) if "at_rate" in r else "—",
    )
    row(
        f"**turn latency at {rate:.0f}/s offered** p50 / p95 / p99 / max (ms)",
        lambda r: _lat(r, "at_rate", "turn") if "at_rate" in r else "—",
    )
    row("**peak RSS** (MiB)", lambda r: _n(_get(r, "memory", "peak_rss_mib"), 0))
    row(
        f"RSS idle → with {conv} live conversations (MiB)",
        lambda r: (
            f"{_n(_get(r, 'memory', 'idle_rss_mib'))} → {_n(_get(r, 'memory', 'live_rss_mib'))}"
            if _get(r, "memory", "idle_rss_mib")
            else "—"
        ),
    )
    row(
        "memory per conversation, second half of the ramp (KiB)",
        lambda r: (
            _n(_get(r, "memory", "kib_per_conversation_slope"), 1)
            if _get(r, "memory", "idle_rss_mib")
            else "—"
        ),
    )
    row(
        "**memory per active conversation**: all growth since idle ÷ conversations (KiB)",
        lambda r: (
            _n(_get(r, "memory", "kib_per_conversation"), 1)
            if _get(r, "memory", "idle_rss_mib")
            else "—"
        ),
    )
    row(
        "turn latency at half the ramp's rate p50 / p95 / p99 / max (ms)",
        lambda r: (
            f"{_lat(r, 'status_storm', 'baseline')} at {_n(_get(r, 'status_storm', 'rate'))}/s"
            if "status_storm" in r
            else "—"
        ),
    )
    row(
        "others' p99 before → during 20 status checks (ms)",
        lambda r: (
            f"{_n(_get(r, 'status_storm', 'baseline_p99'))} → "
            f"{_n(_get(r, 'status_storm', 'during_p99'))}"
            if "status_storm" in r
            else "—"
        ),
    )
    row(
        "**status checks raise others' p99 by** (×)",
        lambda r: _n(_get(r, "status_storm", "ratio"), 2) if "status_storm" in r else "—",
    )
    row(
        "20 status checks: all answered after (s)",
        lambda r: _n(_get(r, "status_storm", "checks_seconds"), 1) if "status_storm" in r else "—",
    )
    row("errors / Bot API violations", lambda r: f"{_errors(r)} / {len(r.get('violations', []))}")
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
    lines += _targets(results)
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
        f"| **{_n(run['deliveries_per_s'], 1)}** | {_n(run['reports_per_s'], 2)} "
        f"| {_n(lat.get('p50'), 0)} | {_n(lat.get('p95'), 0)} | {run['errors']} "
        f"| {run['violations']} | {_n(run.get('peak_rss_mib'), 0)} |",
    ]


def _errors(run: dict[str, Any]) -> int:
    total = 0
    for phase in ("ramp", "at_rate", "saturation", "status_storm"):
        total += sum((_get(run, phase, "errors") or {}).values())
    return total


def _verdict(value: float, target: float, *, at_least: bool) -> str:
    """'met', or '**missed** (needs 2.4× more)' / '**missed** (1.3× over)'."""
    if (value >= target) if at_least else (value < target):
        return "met"
    if at_least:
        how = f"needs {target / value:.1f}× more" if value > 0 else "nothing measured"
    else:
        how = f"{value / target:.1f}× over"
    return f"**missed** ({how})"


def _usable(run: Any) -> bool:
    return isinstance(run, dict) and bool(run) and "skipped" not in run


def _journey_cpu(run: dict[str, Any]) -> tuple[float, float] | None:
    """(updates per filed report, the service's CPU ms per journey) in whole journeys."""
    mix = _get(run, "saturation", "mix") or {}
    per_update = _get(run, "saturation", "bot_cpu_ms_per_update")
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
            if not _usable(run) or any(_get(run, *k.split(".")) is None for k in needs):
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
            f"{conv:,} live, {_errors(r)} errors — " + ("met" if _errors(r) == 0 else "**missed**")
        ),
        lambda r: f"{len(r.get('violations', []))} Bot API violations",
        needs=("ramp",),
    )
    echo_ramp = _get(echo, "ramp", "updates_per_s")
    echo_cpu = _get(echo, "ramp", "bot_cpu_ms_per_update")

    def turns(r: dict[str, Any]) -> str:
        ours = _get(r, "ramp", "updates_per_s")
        if not ours or not echo_ramp:
            return "—"
        ratio = ours / echo_ramp
        return f"{ratio:.2f}× ({_n(ours, 1)} vs {_n(echo_ramp, 1)}/s) — " + _verdict(
            ratio, 0.5, at_least=True
        )

    both(
        "1. conversation turns (ramp) ≥ 0.5× the echo bot",
        turns,
        lambda r: (
            f"bot CPU per update {_n(_get(r, 'ramp', 'bot_cpu_ms_per_update'), 1)} ms "
            f"vs echo {_n(echo_cpu, 1)} ms"
        ),
        needs=("ramp",),
    )
    rate = plan["rate"]

    def p99(r: dict[str, Any]) -> str:
        value = _get(r, "at_rate", "turn", "p99")
        achieved = _get(r, "at_rate", "achieved_per_s") or 0.0
        if value is None or math.isnan(value):
            return "—"
        text = f"{_n(value)} ms at {_n(achieved)}/s — " + _verdict(value, 100, at_least=False)
        if value < 100 and achieved < 0.95 * rate:
            text = f"{_n(value)} ms at {_n(achieved)}/s — **missed** (answered " + (
                f"{achieved / rate:.0%} of the {rate:.0f}/s offered)"
            )
        return text

    both(
        f"2. p99 < 100 ms at {rate:.0f} updates/s offered to {conv:,} conversations",
        p99,
        lambda r: (
            f"capacity (ramp) {_n(_get(r, 'ramp', 'updates_per_s'))}/s vs "
            f"{rate:.0f}/s offered; bot CPU {_n(_get(r, 'at_rate', 'bot_cpu_ms_per_update'), 1)} "
            "ms per update at that rate"
        ),
        needs=("at_rate",),
    )

    def journeys(r: dict[str, Any]) -> str:
        reports = _get(r, "saturation", "reports_per_s")
        if reports is None or not pool:
            return "—"
        share = reports / (pool / 2)
        return (
            f"{share:.0%} ({_n(reports, 2)} reports/s of the bound {pool / 2:.1f}/s) — "
            + _verdict(share, 0.8, at_least=True)
        )

    def journey_bound(r: dict[str, Any]) -> str:
        found = _journey_cpu(r)
        if not found:
            return ""
        updates, cpu = found
        return (
            f"the service's whole CPU {_n(cpu)} ms per journey "
            f"({_n(_get(r, 'saturation', 'bot_cpu_ms_per_update'), 1)} ms × {updates:.1f} "
            f"updates), {_n(_get(r, 'saturation', 'cpu', 'bot_cores'), 2)} of "
            f"{results.get('cores')} cores busy"
        )

    both(
        "3. whole journeys ≥ 80 % of the Argon2id bound (2 derivations per journey)",
        journeys,
        journey_bound,
        needs=("saturation",),
        common=f"Argon2id {_n(a.get('cpu_ms'))} ms CPU ({_n(a.get('wall_ms'))} ms wall) × 2 "
        f"per journey, {_n(pool, 1)} derivations/s with {a.get('workers', 1)} at once",
    )
    both(
        f"4a. {plan.get('storm', 20)} status checks raise others' p99 < 2×",
        lambda r: (
            f"{_n(_get(r, 'status_storm', 'ratio'), 2)}× — "
            + _verdict(_get(r, "status_storm", "ratio"), 2, at_least=False)
        ),
        lambda r: (
            f"others' p99 {_n(_get(r, 'status_storm', 'baseline_p99'))} → "
            f"{_n(_get(r, 'status_storm', 'during_p99'))} ms at "
            f"{_n(_get(r, 'status_storm', 'rate'))}/s; the checks' Argon2id "
            f"{_n(a.get('wall_ms'))} ms each, all answered after "
            f"{_n(_get(r, 'status_storm', 'checks_seconds'), 1)} s"
        ),
        needs=("status_storm.ratio",),
    )
    storm: Any = results.get("kdf_storm")
    if _usable(storm):
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
            f"{_n(_get(r, 'memory', 'kib_per_conversation'), 1)} KiB — "
            + _verdict(_get(r, "memory", "kib_per_conversation"), 50, at_least=False)
        ),
        lambda r: (
            f"burst high-water {_n(_get(r, 'memory', 'kib_per_conversation'), 1)} KiB "
            f"vs slope {_n(_get(r, 'memory', 'kib_per_conversation_slope'), 1)} KiB "
            "(second half of the ramp)"
        ),
        needs=("memory.idle_rss_mib",),
    )
    rows.append(_replicas_row(results.get("replicas"), results.get("cores") or 0))
    return rows


def _replicas_row(rep: Any, cores: int) -> tuple[str, str, str, str]:
    label = "6. two replicas behind HAProxy ≥ 1.6× one (turns/s, PostgreSQL)"
    if not _usable(rep) or not rep.get("ratio"):
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


def _targets(results: dict[str, Any]) -> list[str]:
    out = [
        "",
        "| target | SQLite | PostgreSQL | what bounds it |",
        "|---|---|---|---|",
    ]
    out += [f"| {' | '.join(row)} |" for row in target_rows(results)]
    return out


def _storm_and_replicas(results: dict[str, Any]) -> list[str]:
    """The detail behind 4b and 6, in the tables their own commands print."""
    out: list[str] = []
    storm: Any = results.get("kdf_storm")
    if _usable(storm):
        out += ["", kdf_storm.table(kdf_storm.from_dict(storm))]
    rep: Any = results.get("replicas")
    if _usable(rep) and rep.get("runs"):
        runs = [replicas.Run(**r) for r in rep["runs"]]
        out += ["", replicas.table(runs, rep.get("cores"))]
    return out


HISTORY_BEGIN = "<!-- bench:history:begin (written by `make bench`: newest first, three kept) -->"
HISTORY_END = "<!-- bench:history:end -->"
HISTORY_HEAD = (
    "| when | commit | cores | load at start | rate offered | 1. turns ÷ echo | "
    "2. p99 at rate (ms) | 3. % of Argon2id bound | 4a. others' p99 × | 4b. filing wait × "
    "| 5. KiB per conversation | 6. two replicas ÷ one |"
)
HISTORY_KEEP = 3


def history_row(results: dict[str, Any]) -> str:
    """One line of the history table: the headline value of each target, SQLite /
    PostgreSQL where both were measured."""
    echo_ramp = _get(results, "echo", "ramp", "updates_per_s")
    a = results.get("argon2", {})
    pool = a.get("pool_per_s", a.get("per_s"))

    def pair(value: Any) -> str:
        cells = []
        for key in ("sqlite", "postgresql"):
            run = results.get(key, {})
            cells.append(value(run) if _usable(run) else "—")
        return " / ".join(cells)

    def turns(r: dict[str, Any]) -> str:
        ours = _get(r, "ramp", "updates_per_s")
        return f"{ours / echo_ramp:.2f}×" if ours and echo_ramp else "—"

    def share(r: dict[str, Any]) -> str:
        reports = _get(r, "saturation", "reports_per_s")
        return f"{reports / (pool / 2):.0%}" if reports is not None and pool else "—"

    storm: Any = results.get("kdf_storm")
    rep: Any = results.get("replicas")
    cells = [
        results["when"],
        f"`{results['commit']}`",
        str(results["cores"]),
        str((results.get("load_at_start") or ["—"])[0]),
        f"{results['plan']['rate']:.0f}/s",
        pair(turns),
        pair(lambda r: _n(_get(r, "at_rate", "turn", "p99"))),
        pair(share) + (f" of {pool / 2:.1f}/s" if pool else ""),
        pair(lambda r: f"{_n(_get(r, 'status_storm', 'ratio'), 2)}×"),
        f"{storm['file_ratio']:.2f}×" if _usable(storm) else "—",
        pair(lambda r: _n(_get(r, "memory", "kib_per_conversation"), 1)),
        f"{rep['ratio']:.2f}× ({rep['cores']} cores)" if _usable(rep) and rep.get("ratio") else "—",
    ]
    return "| " + " | ".join(cells) + " |"


def history(old: str, row: str) -> str:
    """The history block with `row` on top of the rows already in `old` (the text
    between the history markers), at most HISTORY_KEEP."""
    rows = [
        line
        for line in old.splitlines()
        if line.startswith("| ") and line != HISTORY_HEAD and not line.startswith("|---")
    ]
    kept = [row, *rows][:HISTORY_KEEP]
    sep = "|---" * HISTORY_HEAD.count(" | ") + "|---|"
    return "\n".join(["", HISTORY_HEAD, sep, *kept, ""])


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


def write(path: Path, block: str, row: str | None = None) -> None:
    """Replace what lies between the markers (or append them) and keep the rest; with
    `row`, put it on top of the history section (made after the block if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    if row is not None:
        if HISTORY_BEGIN in text and HISTORY_END in text:
            head, rest = text.split(HISTORY_BEGIN, 1)
            old, tail = rest.split(HISTORY_END, 1)
            text = head + HISTORY_BEGIN + history(old, row) + HISTORY_END + tail
        else:
            head, tail = text.split(END, 1)
            section = (
                "\n\n## History (last three runs)\n\n"
                + HISTORY_BEGIN
                + history("", row)
                + HISTORY_END
            )
            text = head + END + section + tail
    path.write_text(text, encoding="utf-8")
