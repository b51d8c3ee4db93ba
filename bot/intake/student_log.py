"""What the log says about students' acts: counts per hour, never a line per act.

A log line carries its time to the millisecond, and the n-th "a report was filed" is the
n-th report: one line per act would undo the rounding of every stored time a student
causes to the hour (docs/security.md, "Less to see"). So an act (a filing, a withdrawal,
an evaluation) is only counted here, in memory, and `flush` — called by the service on the
hour — writes one line with the hour's counts. Its time is the clock's, not a
student's. What an operator keeps for debugging: that filings and withdrawals happen,
and how many an hour; failures (a filing that failed, a broken conversation state) are
still logged at once, they are the service's acts. Counts of an hour the process does
not finish (a stop, a crash) are not written: a line at the stop would date them to
within the minutes since the hour.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime

log = logging.getLogger(__name__)

FILED = "reports filed"
WITHDRAWN = "reports withdrawn by the student"
EVALUATED = "follow-ups of closed reports evaluated"


class StudentActs:
    """The counts of the running hour; one per process (`ACTS`)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def note(self, act: str) -> None:
        with self._lock:
            self._counts[act] += 1

    def flush(self, hour: datetime) -> str | None:
        """Log the counts gathered before `hour` (a whole hour) and start again; the line
        written, or None when nothing happened."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return None
        parts = ", ".join(f"{act}: {n}" for act, n in sorted(counts.items()))
        line = f"in the hour before {hour:%Y-%m-%d %H}:00 UTC: {parts}"
        log.info("%s", line)
        return line


ACTS = StudentActs()
