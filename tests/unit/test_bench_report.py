"""bench/report.py: the targets table and the history of runs, rendered from synthetic
results (nothing is measured here)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from bench import report


def _lat(p99: float) -> dict[str, float]:
    return {"n": 100, "p50": p99 / 2, "p95": p99 * 0.9, "p99": p99, "max": p99 * 1.1}


def _service(
    *, ramp: float, p99: float, reports: float, storm: float, kib: float
) -> dict[str, Any]:
    cpu = {"bot_cores": 1.2, "harness_cores": 0.2, "other_cores": 0.0}
    return {
        "load_before": [0.5, 0.5, 0.5],
        "load_after": [1.0, 1.0, 1.0],
        "ramp": {
            "updates_per_s": ramp,
            "latency": _lat(900),
            "errors": {},
            "cpu": cpu,
            "bot_cpu_ms_per_update": 7.0,
        },
        "at_rate": {
            "offered_per_s": 100.0,
            "achieved_per_s": 99.0,
            "turn": _lat(p99),
            "errors": {},
            "cpu": cpu,
            "bot_cpu_ms_per_update": 8.0,
        },
        "memory": {
            "idle_rss_mib": 300.0,
            "live_rss_mib": 340.0,
            "conversations": 1000,
            "kib_per_conversation": kib,
            "kib_per_conversation_slope": 5.0,
            "peak_rss_mib": 420.0,
        },
        "status_storm": {
            "rate": 50.0,
            "baseline": _lat(20),
            "checks_seconds": 4.0,
            "baseline_p99": 20.0,
            "during_p99": 20.0 * storm,
            "ratio": storm,
            "errors": {},
        },
        "saturation": {
            "updates_per_s": 60.0,
            "reports_per_s": reports,
            "turn": _lat(400),
            "submit": _lat(400),
            "status": _lat(4000),
            "cpu": cpu,
            "bot_cpu_ms_per_update": 20.0,
            "mix": {"turn": 130, "submit": 10, "status": 10},
            "errors": {},
        },
        "violations": [],
    }


def results(cores: int = 2, when: str = "2026-12-02 10:00 UTC") -> dict[str, Any]:
    return {
        "when": when,
        "cores": cores,
        "python": "3.11.7",
        "commit": "abc1234",
        "plan": {"conversations": 1000, "rate": 100.0, "saturating": 50, "storm": 20},
        "quick": False,
        "load_at_start": [0.4, 0.6, 0.8],
        "seconds": 400.0,
        "argon2": {
            "iterations": 3,
            "lanes": 4,
            "memory_mib": 64.0,
            "wall_ms": 150.0,
            "cpu_ms": 220.0,
            "per_s": 6.0,
            "workers": 2,
            "pool_per_s": 8.0,  # the bound: 4 journeys a second
        },
        "validation": {"sendMessage_us": 150.0, "getUpdates_us": 10.0},
        "echo": {
            "load_before": [0.4, 0.4, 0.4],
            "load_after": [0.5, 0.5, 0.5],
            "ramp": {"updates_per_s": 500.0, "cpu": {}, "bot_cpu_ms_per_update": 1.5},
            "saturation": {"updates_per_s": 450.0, "cpu": {}},
            "violations": [],
        },
        # SQLite meets every target it can, PostgreSQL misses them
        "sqlite": _service(ramp=300.0, p99=40.0, reports=3.6, storm=1.5, kib=30.0),
        "postgresql": _service(ramp=100.0, p99=250.0, reports=1.6, storm=6.0, kib=60.0),
        "kdf_storm": {
            "storm": 20,
            "rounds": 5,
            "file_quiet": 0.3,
            "file_storm": 0.45,
            "login_quiet": 0.3,
            "login_storm": 0.5,
            "one_derivation": 0.15,
            "per_second": 8.0,
            "workers": 2,
            "file_ratio": 1.5,
            "login_ratio": 0.5 / 0.3,
        },
        "replicas": {
            "cores": cores,
            "seconds": 20.0,
            "students": 200,
            "ratio": 0.8,
            "runs": [
                {
                    "replicas": n,
                    "turns_per_s": tps,
                    "p50_ms": 1000.0,
                    "p99_ms": 3000.0,
                    "errors": 0,
                    "cpu": {
                        **{f"replica {i}": 0.6 / n for i in range(n)},
                        "haproxy": 0.02,
                        "harness": 0.2,
                        "postgres": 0.01,
                        "everything else": 1.1,
                    },
                }
                for n, tps in ((1, 75.0), (2, 60.0))
            ],
        },
    }


def _rows(data: dict[str, Any]) -> dict[str, list[str]]:
    """Target number (or the first word) -> [SQLite, PostgreSQL, what bounds it]."""
    return {label.split(" ", 1)[0]: cells for label, *cells in report.target_rows(data)}


def test_one_row_per_target_met_and_missed_by_how_much() -> None:
    rows = _rows(results())
    assert list(rows) == ["1000", "1.", "2.", "3.", "4a.", "4b.", "5.", "6."]
    sqlite, pg = {k: v[0] for k, v in rows.items()}, {k: v[1] for k, v in rows.items()}
    assert sqlite["1000"].endswith("— met") and pg["1000"].endswith("— met")
    # 1: the ramp's ratio to the echo bot's ramp, not whole journeys
    assert sqlite["1."].startswith("0.60×") and sqlite["1."].endswith("— met")
    assert pg["1."].startswith("0.20×") and "**missed** (needs 2.5× more)" in pg["1."]
    assert sqlite["2."].endswith("— met") and "**missed** (2.5× over)" in pg["2."]
    # 3: reports/s ÷ (pool derivations/s ÷ 2), with the bound in the cell
    assert sqlite["3."].startswith("90%") and "of the bound 4.0/s" in sqlite["3."]
    assert sqlite["3."].endswith("— met")
    assert pg["3."].startswith("40%") and "**missed** (needs 2.0× more)" in pg["3."]
    assert sqlite["4a."].endswith("— met") and "**missed** (3.0× over)" in pg["4a."]
    assert "1.50×" in sqlite["4b."] and sqlite["4b."].endswith("— met")
    assert sqlite["5."].endswith("— met") and "**missed** (1.2× over)" in pg["5."]
    # 6: one value; on two cores measured, neither met nor missed
    assert sqlite["6."] == "—"
    assert (
        pg["6."].startswith("0.80×") and "measured (2 cores: not the target's set-up)" in pg["6."]
    )


def test_what_bounds_it_is_computed_from_the_run() -> None:
    rows = _rows(results())
    assert "bot CPU per update 7.0 ms vs echo 1.5 ms" in rows["1."][2]
    assert "capacity (ramp) 300/s vs 100/s offered" in rows["2."][2]
    assert "Argon2id 220 ms CPU" in rows["3."][2] and "8.0 derivations/s" in rows["3."][2]
    assert "300 ms per journey (20.0 ms × 15.0 updates)" in rows["3."][2]
    assert "burst high-water 60.0 KiB vs slope 5.0 KiB" in rows["5."][2]
    assert "1 replica: 0.60 cores" in rows["6."][2]
    assert "2 replicas: 0.30 + 0.30 cores, postgres 0.01, haproxy 0.02" in rows["6."][2]


def test_with_four_cores_the_replicas_target_is_met_or_missed() -> None:
    four = results(cores=4)
    assert "**missed** (needs 2.0× more)" in _rows(four)["6."][1]
    four["replicas"]["ratio"] = 1.7
    assert _rows(four)["6."][1].endswith("— met")


def test_skipped_parts_say_so() -> None:
    data = results()
    data["postgresql"] = {"skipped": "PostgreSQL not reachable"}
    data["replicas"] = {"skipped": "HAProxy is not installed"}
    del data["kdf_storm"]
    rows = _rows(data)
    assert all(cells[1] == "—" for key, cells in rows.items() if key not in ("6.",))
    assert rows["6."][1] == "skipped (HAProxy is not installed)"
    assert rows["4b."][0] == "not run"
    table = report.render(data)
    assert "| target | SQLite | PostgreSQL | what bounds it |" in table


def test_history_keeps_the_last_three_runs_newest_first(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nby hand\n", encoding="utf-8")
    for day in range(1, 6):
        data = copy.deepcopy(results(when=f"2026-12-0{day} 10:00 UTC"))
        report.write(doc, report.render(data), report.history_row(data))
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Performance\n\nby hand\n")
    assert text.count(report.BEGIN) == 1 and text.count("## History (last three runs)") == 1
    history = text.split(report.HISTORY_BEGIN, 1)[1].split(report.HISTORY_END, 1)[0]
    runs = [line for line in history.splitlines() if line.startswith("| 2026")]
    assert [r.split(" | ")[0] for r in runs] == [
        "| 2026-12-05 10:00 UTC",
        "| 2026-12-04 10:00 UTC",
        "| 2026-12-03 10:00 UTC",
    ]
    assert "0.60× / 0.20×" in runs[0] and "100/s" in runs[0] and "0.80× (2 cores)" in runs[0]
    assert history.count(report.HISTORY_HEAD) == 1


def test_the_history_row_matches_its_header() -> None:
    row = report.history_row(results())
    assert row.count(" | ") == report.HISTORY_HEAD.count(" | ")
