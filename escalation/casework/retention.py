"""The retention period, applied: warn the advisers, then erase.

Run from the service's housekeeping; both steps are safe to repeat and to run on several
replicas at once (the storage side compare-and-sets every change).
"""

from __future__ import annotations

import logging

from escalation.casework.directory import Directory
from storage.repositories.retention import Retention

log = logging.getLogger(__name__)


async def apply_retention(retention: Retention, directory: Directory) -> tuple[int, int]:
    """Returns (warnings queued, reports erased)."""
    warned = 0
    for item in await retention.to_warn():
        advisers = [a for a in map(directory.adviser, item.recipients) if a is not None]
        notices = [(a.id, channel) for a in advisers for channel in a.channels]
        if await retention.warned(item.report_id, notices):
            warned += 1
    erased = await retention.erase_due()
    for reference in erased:
        log.info("report %s erased after the retention period", reference)
    return warned, len(erased)
