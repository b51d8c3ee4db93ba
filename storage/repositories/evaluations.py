"""The student's evaluation of the follow-up, once a report is closed.

Asked once, at the student's next /status after closing: a score from 1 to 5 and what
could be better, both optional, and whether the text may be quoted anonymously. The
score is a statistics column (`reports.evaluation_score`, with the month in
`reports.evaluation_at`, which also marks the question answered or declined). The text
is never readable by the server: it is HPKE-sealed to each network coordinator's
public key (only keys whose MAC checks out) and to the offline recovery key, with the
quote consent bound into every copy (`hpke_seal.seal_evaluation`).

Retention: the score and month stay when the report is erased, like every statistics
column. A text the student did not allow to be quoted is erased with its report; a
quotable one is kept, unlinked from the report, for the yearly reflection and the
two-yearly measurement, and erased `QUOTE_KEEP` after the month it was given.

For the figures (reflection report): `quotable_evaluations`. For the console: `entries`.

Not the directive's "feedback" (the adviser's first response, a deadline: see
`escalation.casework.deadlines`); the words are in docs/glossary.md.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import aead, hpke_seal, proofs
from storage.crypto.keys import KeyStore
from storage.crypto.sealed_keys import ADVISER, RECOVERY, verified_recipients
from storage.crypto.server_key import ServerKey
from storage.db.clock import Clock, student_time, utcnow
from storage.db.models import Evaluation, EvaluationCopy, Report
from storage.db.rows import rowcount
from storage.repositories import audit
from storage.repositories.accounts.credentials import LoggedIn
from storage.repositories.reports import Recipient
from vocabulary import EVALUATION_MAX_TEXT, EVALUATION_SCORES, ReportStatus

log = logging.getLogger(__name__)

# How long a quotable text outlives its erased report: the two-yearly measurement's
# period (two school years), counted from the month it was given.
QUOTE_KEEP = timedelta(days=2 * 366)

# The audit log's words for saving and reading evaluations. They stay as they were
# before the rename: the log is hash-chained, never rewritten, and an action keeps its name.
AUDIT_SAVED, AUDIT_READ = "feedback", "feedback_read"

# saved: stored now; already: this report's evaluation was given (or declined) before;
# not_closed: the report is not closed (reopened, withdrawn, erased, unknown).
Saved = Literal["saved", "already", "not_closed"]


@dataclass(frozen=True)
class Quote:
    """A text the student allowed to be quoted anonymously, with the month it was given
    (the first day of that month): nothing else, no report, school or score."""

    month: date
    text: str


@dataclass(frozen=True)
class EvaluationEntry:
    """One evaluation as a network coordinator reads it in the console."""

    month: date
    text: str | None  # None: the copy does not open (altered in the database)
    quote: bool
    score: int | None  # while the report row is linked; None once the text outlived it
    org_id: str | None  # the organization that followed the report up, while linked
    # It opens, but lacks the service's proof (`storage.crypto.proofs`): possibly written
    # by a database writer. Shown "possibly altered"; never quoted.
    altered: bool = False


def month_of(moment: datetime) -> datetime:
    """The first instant of `moment`'s month (UTC): the finest time an evaluation is kept to."""
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def check(score: int | None, text: str) -> None:
    """Programming errors (the engine lets nothing else through)."""
    if score is not None and score not in EVALUATION_SCORES:
        raise ValueError(f"an evaluation score is one of {EVALUATION_SCORES}, not {score!r}")
    if len(text) > EVALUATION_MAX_TEXT:
        raise ValueError(f"an evaluation text is at most {EVALUATION_MAX_TEXT} characters")


class EvaluationStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], keys: KeyStore, clock: Clock = utcnow
    ) -> None:
        self.sessions = sessions
        self.keys = keys
        self.clock = clock

    async def save(
        self,
        report_id: str,
        *,
        score: int | None,
        text: str,
        quote: bool,
        readers: Sequence[Recipient],
    ) -> Saved:
        """Once per report (compare-and-set on `evaluation_at`): the score in the clear, the
        text sealed to `readers` (the network's coordinators; those whose stored key
        fails its MAC are left out and logged) and the recovery key. `quote` only means
        something with a text. Everything in one transaction with its audit entry."""
        text = text.strip()
        check(score, text)
        now = self.clock()
        month = month_of(now)
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                update(Report)
                .where(
                    Report.id == report_id,
                    Report.status == ReportStatus.CLOSED,
                    Report.erased_at.is_(None),
                    Report.evaluation_at.is_(None),
                )
                .values(evaluation_score=score, evaluation_at=month)
                .execution_options(synchronize_session=False)
            )
            if rowcount(claimed) != 1:
                report = await session.get(Report, report_id)
                given = report is not None and report.evaluation_at is not None
                return "already" if given else "not_closed"
            if text:
                await self._seal(session, report_id, month, text, quote and bool(text), readers)
            org_id = await session.scalar(select(Report.org_id).where(Report.id == report_id))
            await audit.append(
                session,
                self.keys.server,
                at=student_time(now),
                actor="student",
                action=AUDIT_SAVED,
                report_id=report_id,
                org_id=org_id,
                detail="text" if text else "",
            )
        return "saved"

    async def _seal(
        self,
        session: AsyncSession,
        report_id: str,
        month: datetime,
        text: str,
        quote: bool,
        readers: Sequence[Recipient],
    ) -> None:
        evaluation_id = uuid.uuid4().hex
        row = Evaluation(id=evaluation_id, report_id=report_id, month=month, quote=quote)
        session.add(row)
        await session.flush()
        checked = await verified_recipients(
            session, self.keys.server, [(r.adviser_id, r.public_key) for r in readers]
        )
        copies = [(ADVISER, a, key) for a, key in checked]
        copies.append((RECOVERY, RECOVERY, self.keys.recovery_public))
        session.add_all(
            proofs.prove_evaluation(
                self.keys.server,
                row,
                EvaluationCopy(
                    evaluation_id=evaluation_id,
                    recipient_kind=kind,
                    recipient_id=who,
                    sealed=hpke_seal.seal_evaluation(
                        text.encode(), key, evaluation_id=evaluation_id, quote=quote
                    ),
                ),
            )
            for kind, who, key in copies
        )

    async def entries(self, reader: LoggedIn, org_id: str | None = None) -> list[EvaluationEntry]:
        """Every text sealed to this reader, newest month first, consent shown; the read
        is audited. A copy that does not open is shown as such, never skipped silently."""
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(Evaluation, EvaluationCopy, Report.evaluation_score, Report.org_id)
                    .join(EvaluationCopy, EvaluationCopy.evaluation_id == Evaluation.id)
                    .outerjoin(Report, Report.id == Evaluation.report_id)
                    .where(
                        EvaluationCopy.recipient_kind == ADVISER,
                        EvaluationCopy.recipient_id == reader.adviser_id,
                    )
                    .order_by(Evaluation.month.desc(), Evaluation.id)
                )
            ).all()
            await audit.append(
                session,
                self.keys.server,
                at=self.clock(),
                actor=reader.adviser_id,
                action=AUDIT_READ,
                org_id=org_id,
            )
        server = self.keys.server
        return [
            EvaluationEntry(
                month=row.month.date(),
                text=_open(copy.sealed, reader, row),
                quote=row.quote,
                score=score,
                org_id=org,
                altered=not proofs.evaluation_proven(server, row, copy),
            )
            for row, copy, score, org in rows
        ]


async def quotable_evaluations(
    session: AsyncSession,
    server: ServerKey,
    reader: LoggedIn,
    period_start: date,
    period_end: date,
) -> list[Quote]:
    """The texts students allowed to be quoted anonymously, given in the months that
    overlap `period_start`..`period_end` (both inclusive), oldest first, each with its
    month. Only copies sealed to `reader` (a network coordinator signed in to the
    console); a copy that does not open (altered in the database, e.g. its consent
    flag flipped) is left out and logged, as is one without the service's proof (a
    database writer's). Reads only: the caller's export audits itself.
    """
    rows = (
        await session.execute(
            select(Evaluation, EvaluationCopy)
            .join(EvaluationCopy, EvaluationCopy.evaluation_id == Evaluation.id)
            .where(
                Evaluation.quote.is_(True),
                Evaluation.month >= _first_of_month(period_start),
                Evaluation.month <= _first_of_month(period_end),
                EvaluationCopy.recipient_kind == ADVISER,
                EvaluationCopy.recipient_id == reader.adviser_id,
            )
            .order_by(Evaluation.month, Evaluation.id)
        )
    ).all()
    proven = [(row, copy) for row, copy in rows if proofs.evaluation_proven(server, row, copy)]
    if len(proven) < len(rows):
        log.error("EvaluationTampered: an evaluation copy lacks the service's proof; left out")
    quotes = [(row.month.date(), _open(copy.sealed, reader, row)) for row, copy in proven]
    return [Quote(month, text) for month, text in quotes if text is not None]


def _first_of_month(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=UTC)


def _open(sealed: bytes, reader: LoggedIn, row: Evaluation) -> str | None:
    try:
        plain = hpke_seal.open_evaluation(
            sealed, reader.private_key, evaluation_id=row.id, quote=row.quote
        )
    except aead.CryptoError:
        log.error("EvaluationTampered: an evaluation copy for %s does not open", reader.adviser_id)
        return None
    return plain.decode()


def evaluation_due(report: Report | None) -> bool:
    """Closed, and the student has not answered (or declined) the evaluation question."""
    return (
        report is not None
        and report.status == ReportStatus.CLOSED
        and report.erased_at is None
        and report.evaluation_at is None
    )


async def erase_with_report(session: AsyncSession, report_id: str) -> None:
    """Retention, in the erasure's transaction: a text not allowed to be quoted goes
    with its report; a quotable one stays, no longer linked to any report."""
    private = select(Evaluation.id).where(
        Evaluation.report_id == report_id, Evaluation.quote.is_(False)
    )
    await session.execute(delete(EvaluationCopy).where(EvaluationCopy.evaluation_id.in_(private)))
    await session.execute(
        delete(Evaluation).where(Evaluation.report_id == report_id, Evaluation.quote.is_(False))
    )
    await session.execute(
        update(Evaluation)
        .where(Evaluation.report_id == report_id)
        .values(report_id=None)
        .execution_options(synchronize_session=False)
    )


async def purge_old_quotes(session: AsyncSession, now: datetime) -> int:
    """Quotable texts whose report is gone, given more than `QUOTE_KEEP` ago."""
    old = select(Evaluation.id).where(
        Evaluation.report_id.is_(None), Evaluation.month < month_of(now - QUOTE_KEEP)
    )
    await session.execute(delete(EvaluationCopy).where(EvaluationCopy.evaluation_id.in_(old)))
    result = await session.execute(
        delete(Evaluation).where(
            Evaluation.report_id.is_(None), Evaluation.month < month_of(now - QUOTE_KEEP)
        )
    )
    return rowcount(result)
