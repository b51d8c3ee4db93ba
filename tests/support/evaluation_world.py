"""A storage world for the student's evaluation: a report store and an evaluation
store on one backend, a coordinator enrolled, and closed reports made to order. Shared
by the evaluation tests and the database writer's proof tests."""

from __future__ import annotations

from sqlalchemy import update

from storage.crypto.keys import KeyStore
from storage.db.models import Report
from storage.repositories.accounts.credentials import LoggedIn
from storage.repositories.evaluations import EvaluationStore
from storage.repositories.reports import NewReport, Recipient, ReportStore
from tests.support.storage_backends import Backend, Clock
from tests.support.storage_helpers import enrolled


class EvaluationWorld:
    def __init__(self, b: Backend, keystore: KeyStore, clock: Clock) -> None:
        self.backend = b
        self.keys = keystore
        self.clock = clock
        self.reports = ReportStore(b.sessions, keystore, clock=clock)
        self.evaluations = EvaluationStore(b.sessions, keystore, clock=clock)
        self.coordinator: LoggedIn | None = None
        self.readers: tuple[Recipient, ...] = ()

    async def setup(self) -> None:
        private, coordinator = await enrolled(self.reports, "denhaag-coordinator", "gemeente")
        self.coordinator = LoggedIn("denhaag-coordinator", private)
        self.readers = (coordinator,)

    async def closed_report(self, *, sector: str | None = "care") -> str:
        filed = await self.reports.file(
            NewReport(
                org_id="hhs",
                phase="during",
                grounds=("origin",),
                when_bucket="month",
                wants="talk",
                visibility="school",
                urgent=False,
                content={"story": "inhoud"},
                sector=sector,
            )
        )
        await self.close(filed.report_id)
        return filed.report_id

    async def close(self, report_id: str) -> None:
        async with self.backend.sessions() as session, session.begin():
            await session.execute(
                update(Report)
                .where(Report.id == report_id)
                .values(status="closed", closed_at=self.clock(), outcome="resolved")
            )

    async def report(self, report_id: str) -> Report:
        async with self.backend.sessions() as session:
            report = await session.get(Report, report_id)
        assert report is not None
        return report

    @property
    def me(self) -> LoggedIn:
        assert self.coordinator is not None
        return self.coordinator
