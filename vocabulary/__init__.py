"""Words the conversation and the database must spell the same way.

A leaf: it imports nothing of ours, so `dialogues` (which words them for the student)
and `storage` (which writes them in rows) can both depend on it without depending on
each other. One module per word family: `status` (a report's status), `events` (the
codes of a thread's event entries), `receipt` (how a receipt code looks), `companies`
(how a company's name and KvK number are written before they are matched).
"""

from vocabulary.companies import KVK_DIGITS, normalize_company, normalize_kvk
from vocabulary.events import ThreadEvent
from vocabulary.receipt import RECEIPT_DIGITS, RECEIPT_SEPARATORS, format_receipt, normalize_receipt
from vocabulary.status import ENDED_STATUSES, OPEN_STATUSES, ReportStatus

__all__ = [
    "ENDED_STATUSES",
    "KVK_DIGITS",
    "OPEN_STATUSES",
    "RECEIPT_DIGITS",
    "RECEIPT_SEPARATORS",
    "ReportStatus",
    "ThreadEvent",
    "format_receipt",
    "normalize_company",
    "normalize_kvk",
    "normalize_receipt",
]
