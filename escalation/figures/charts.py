"""Bar charts drawn on the server with matplotlib (Agg canvas, no display, no script):
SVG for the console and the public page (as an <img> data URI, so the strict CSP needs
no inline style or script), PNG for the PDF. Text in the SVG is drawn as paths; the
table beside each chart carries the same numbers for screen readers and copying.

Hidden cells get no bar, only their label ("< 5", "×") at the axis: a chart never shows
more than its table.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from escalation.figures.sheet import Section

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NOW, BEFORE = "#1f5f99", "#9cb9d6"  # contrast ≥ 3:1 on white for the bars
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


def _figure(section: Section, names: tuple[str, str]) -> Figure:
    # Imported here, not at start: matplotlib and numpy are about 60 MiB that an idle
    # service (most processes never draw a chart) would otherwise hold.
    from matplotlib.figure import Figure

    lines = section.lines
    height = 1.2 + 0.42 * len(lines)
    fig = Figure(figsize=(6.4, height), dpi=100)
    ax = fig.add_subplot()
    y = list(range(len(lines)))
    now = [line.current_n or 0 for line in lines]
    before = [line.previous_n or 0 for line in lines]
    ax.barh([v + 0.2 for v in y], before, height=0.4, color=BEFORE, label=names[1])
    ax.barh([v - 0.2 for v in y], now, height=0.4, color=NOW, label=names[0])
    top = max([*now, *before, 1])
    for i, line in enumerate(lines):
        ax.text(now[i] + top * 0.01, i - 0.2, line.current, va="center", fontsize=8)
        ax.text(before[i] + top * 0.01, i + 0.2, line.previous, va="center", fontsize=8)
    ax.set_yticks(y, [line.label for line in lines], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    # Above the bars, never over them.
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False)
    fig.tight_layout()
    return fig


def svg(section: Section, names: tuple[str, str]) -> bytes:
    with _LOCK:
        out = io.BytesIO()
        _figure(section, names).savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def png(section: Section, names: tuple[str, str]) -> bytes:
    with _LOCK:
        out = io.BytesIO()
        _figure(section, names).savefig(out, format="png", dpi=150)
    return out.getvalue()


def data_uri(image: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(image).decode()


def svgs(sections: Sequence[Section], names: tuple[str, str]) -> dict[str, str]:
    """Each section's chart as a data URI, by dimension."""
    return {s.dimension: data_uri(svg(s, names)) for s in sections}
