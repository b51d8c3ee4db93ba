"""The words and the small rules every package shares.

A leaf: it imports nothing of ours, so `dialogues` (which words them for the student),
`storage` (which writes them in rows) and `escalation` can all depend on it without
depending on each other. One module per word family: `status` (a report's status),
`events` (the codes of a thread's event entries), `receipt` (how a receipt code looks),
`sector` (the internship's sector), `channel` (what a report was filed through),
`companies` (how a company's name and KvK number are written before they are matched),
`evaluation` (the score scale and text limit of the student's evaluation of the
follow-up after closing).

And one module per shared rule, small and pure, for a mechanism more than one package
needs (one copy, so the copies cannot come to behave differently): `locales` (the one
locale loader, for the students' texts and the console's), `window` (the sliding
window every limiter counts in, and its rule: a refused arrival counts too), `retry`
(the one retry schedule and loop: Telegram, WhatsApp, the outbox), `addresses` (which
client an address counts as in every per-address bound: an IPv6 address by its /64).
"""

from vocabulary.channel import CHANNELS
from vocabulary.companies import KVK_DIGITS, normalize_company, normalize_kvk
from vocabulary.evaluation import EVALUATION_MAX_TEXT, EVALUATION_SCORES
from vocabulary.events import ThreadEvent
from vocabulary.receipt import RECEIPT_DIGITS, RECEIPT_SEPARATORS, format_receipt, normalize_receipt
from vocabulary.sector import SECTORS
from vocabulary.status import ENDED_STATUSES, OPEN_STATUSES, ReportStatus

__all__ = [
    "CHANNELS",
    "ENDED_STATUSES",
    "EVALUATION_MAX_TEXT",
    "EVALUATION_SCORES",
    "KVK_DIGITS",
    "OPEN_STATUSES",
    "RECEIPT_DIGITS",
    "RECEIPT_SEPARATORS",
    "SECTORS",
    "ReportStatus",
    "ThreadEvent",
    "format_receipt",
    "normalize_company",
    "normalize_kvk",
    "normalize_receipt",
]
