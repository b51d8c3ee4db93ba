"""The database schema. Plaintext columns exist only where routing, deadlines or
statistics need them; everything a student wrote is a ciphertext column.

Column lengths are enforced by PostgreSQL and not by SQLite, so they are generous enough
for every id the config allows (31 characters) and every code the dialogues use.

One module per concern; importing the package registers every table on `Base.metadata`
(Alembic and the tests compare the migrations against it), so callers import the
models from here.
"""

from storage.db.models.advisers import (
    AdviserAccount,
    AdviserKey,
    ConsoleSessionRow,
    Enrolment,
    Notification,
)
from storage.db.models.audit import AuditEntry, AuditHead
from storage.db.models.base import NAMING, Base, UtcDateTime
from storage.db.models.chats import Conversation, ProcessedUpdate, StatusAttempt
from storage.db.models.patterns import Pattern, PatternLock, PatternMember, PatternName, PatternTag
from storage.db.models.reports import (
    Deadline,
    Evaluation,
    EvaluationCopy,
    Report,
    ReportField,
    SealedKey,
)
from storage.db.models.thread import Attachment, Message, ReadMark

__all__ = [
    "NAMING",
    "AdviserAccount",
    "AdviserKey",
    "Attachment",
    "AuditEntry",
    "AuditHead",
    "Base",
    "ConsoleSessionRow",
    "Conversation",
    "Deadline",
    "Enrolment",
    "Evaluation",
    "EvaluationCopy",
    "Message",
    "Notification",
    "Pattern",
    "PatternLock",
    "PatternMember",
    "PatternName",
    "PatternTag",
    "ProcessedUpdate",
    "ReadMark",
    "Report",
    "ReportField",
    "SealedKey",
    "StatusAttempt",
    "UtcDateTime",
]
