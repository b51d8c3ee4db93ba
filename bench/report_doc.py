"""Where the results land in docs/performance.md: between the bench's markers, with a
history of the last runs (one headline row each) after them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report_cells import dig, num, usable

BEGIN = "<!-- bench:begin (written by `make bench`; edit outside the markers) -->"
END = "<!-- bench:end -->"
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
    echo_ramp = dig(results, "echo", "ramp", "updates_per_s")
    a = results.get("argon2", {})
    pool = a.get("pool_per_s", a.get("per_s"))

    def pair(value: Any) -> str:
        cells = []
        for key in ("sqlite", "postgresql"):
            run = results.get(key, {})
            cells.append(value(run) if usable(run) else "—")
        return " / ".join(cells)

    def turns(r: dict[str, Any]) -> str:
        ours = dig(r, "ramp", "updates_per_s")
        return f"{ours / echo_ramp:.2f}×" if ours and echo_ramp else "—"

    def share(r: dict[str, Any]) -> str:
        reports = dig(r, "saturation", "reports_per_s")
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
        pair(lambda r: num(dig(r, "at_rate", "turn", "p99"))),
        pair(share) + (f" of {pool / 2:.1f}/s" if pool else ""),
        pair(lambda r: f"{num(dig(r, 'status_storm', 'ratio'), 2)}×"),
        f"{storm['file_ratio']:.2f}×" if usable(storm) else "—",
        pair(lambda r: num(dig(r, "memory", "kib_per_conversation"), 1)),
        f"{rep['ratio']:.2f}× ({rep['cores']} cores)" if usable(rep) and rep.get("ratio") else "—",
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
