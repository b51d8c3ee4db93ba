"""What the console, its exports and the public page ask for: the figures of one scope
(the network, or one organization) for a period of completed school years."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from escalation.casework.directory import Directory
from escalation.figures.query import optional_columns, read_rows
from escalation.figures.rows import last_completed_year, year_start
from escalation.figures.tables import Figures, compute
from storage.db.clock import Clock, utcnow

SPANS = (2, 1)  # the two-yearly measurement (default) or the yearly reflection
YEARS_BACK = 8  # how far back a period may end


@dataclass(frozen=True)
class Period:
    until: int  # the last school year, by the year of its 1 August
    span: int  # school years


class FigureService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        directory: Directory,
        *,
        min_cell: int = 5,
        public: bool = False,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.directory = directory
        self.min_cell = min_cell
        self.public = public
        self.clock = clock

    def years(self) -> list[int]:
        """The school years a period may end with: completed ones only, newest first."""
        last = last_completed_year(self.clock())
        return list(range(last, last - YEARS_BACK, -1))

    def period(self, until: str | None, span: str | None) -> Period:
        """The period asked for in a query string, or the default (the last two
        completed school years); anything else falls back to the default."""
        years = self.years()
        chosen = int(until) if until and until.isdigit() and int(until) in years else years[0]
        length = int(span) if span and span.isdigit() and int(span) in SPANS else SPANS[0]
        return Period(chosen, length)

    async def figures(self, period: Period, scope: str | None = None) -> Figures:
        """`scope`: an organization's id (its coordinator), None for the network."""
        first = period.until - 2 * period.span + 1
        rows = await read_rows(
            self.sessions, year_start(first), year_start(period.until + 1), scope
        )
        optional = optional_columns()
        return compute(
            rows,
            until=period.until,
            span=period.span,
            k=self.min_cell,
            org_ids=[o.id for o in self.directory.organizations],
            scope=scope,
            students={o.id: o.students for o in self.directory.schools if o.students},
            sector=optional["sector"],
            channel=optional["channel"],
        )
