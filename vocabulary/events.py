"""The codes of a thread's event entries: storage writes them, the locale files word them.

An event entry carries only its code, never content, so what the student reads about a
hand-over or a status change is the locale's wording of one of these.
"""

from __future__ import annotations

from enum import StrEnum


class ThreadEvent(StrEnum):
    HANDOVER_COLLEAGUE = "handover_colleague"
    HANDOVER_ORG = "handover_org"  # moved: another organization instead
    HANDOVER_ORG_ADDED = "handover_org_added"  # another organization as well
    HANDED_BACK = "handed_back"  # a hand-over undone by the receiving organization
    STATUS_IN_PROGRESS = "status_in_progress"
    STATUS_WAITING = "status_waiting"
    STATUS_CLOSED = "status_closed"
    WITHDRAWN = "withdrawn"
