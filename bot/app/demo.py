"""`stagemeld run --demo`: one ready-made adviser per organization, so a newcomer can
file a report in one browser tab and read it as the adviser in another; and a demo of
the figures (`seed_demo_reports`): several hundred synthetic reports over the last
school years, so the coordinators' figures page is not empty.

The synthetic reports are statistics-only rows, marked as demo data by their reference
(`DEMO-…`, never a real `SM-…` one): no content, no key, nobody can open them, already
marked erased (like a report past its retention period), and the figures page and its
PDF say how many of their reports are demo data.

Printed secrets are the point of a demo and the danger of one, so it runs only when
the web server listens on a loopback address.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.container import Container, build_container, kdf_params
from bot.app.settings import Settings
from escalation.casework.deadlines import DeadlinePolicy, add_working_days, due_dates
from escalation.casework.directory import Directory
from escalation.figures.query import DEMO_PREFIX
from escalation.figures.rows import last_completed_year, year_start
from storage.crypto import tokens
from storage.crypto.kdf_thread import in_kdf_thread
from storage.db.clock import student_time
from storage.db.models import Deadline, Report
from storage.repositories.accounts.credentials import make_credentials
from storage.repositories.reports import REFERENCE_ALPHABET

DEMO_REPORTS = 480
DEMO_YEARS = 4  # completed school years, growing towards the newest


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def enrol_demo_advisers(settings: Settings) -> str:
    """Enrols the first adviser of every organization that has none yet; returns the
    text to print (passphrases and TOTP secrets — shown once, stored nowhere)."""
    container = await build_container(settings)
    lines = [
        "=" * 72,
        "DEMO ADVISERS — for trying stagemeld on this computer only.",
        f"Console: {settings.web.base_url}/console/login",
        "A login code: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
        "",
    ]
    try:
        for org in settings.directory.organizations:
            if not org.advisers:
                continue
            # The network's coordinator first of its advisers: the figures are theirs.
            coordinators = [a for a in org.advisers if a.role == "coordinator"]
            adviser = (
                (coordinators or list(org.advisers))[0]
                if org.kind == "network"
                else org.advisers[0]
            )
            if await container.advisers.has_key(adviser.id):
                lines.append(f"{org.name}: {adviser.email} — enrolled in an earlier demo run")
                continue
            passphrase = f"demo-{tokens.new_token(12)}"
            new = await in_kdf_thread(make_credentials, passphrase, kdf_params(settings))
            await container.accounts.enrol_directly(adviser.id, org.id, new)
            lines += [
                f"{org.name} ({adviser.role})"
                + (" — the network coordinator" if org.kind == "network" else ""),
                f"  e-mail:      {adviser.email or adviser.id}",
                f"  passphrase:  {passphrase}",
                f"  TOTP secret: {new.totp_secret}",
            ]
        lines += ["", *await seed_demo_figures(container)]
    finally:
        await container.close()
    lines.append("=" * 72)
    return "\n".join(lines)


def _weighted(rnd: random.Random, weights: dict[str, float]) -> str:
    return rnd.choices(list(weights), list(weights.values()))[0]


def _demo_reference(rnd: random.Random) -> str:
    return DEMO_PREFIX + "".join(rnd.choice(REFERENCE_ALPHABET) for _ in range(8))


def demo_reports(
    directory: Directory, now: datetime, policy: DeadlinePolicy, count: int, seed: int = 2023
) -> list[tuple[Report, list[Deadline]]]:
    """Believable synthetic reports: more at mbo schools, mostly origin and religion,
    most acknowledged within days, some escalated; more each year (the campaign works)."""
    rnd = random.Random(seed)  # noqa: S311 - demo data, repeatable on purpose
    last = last_completed_year(now)
    years = [last - i for i in range(DEMO_YEARS - 1, -1, -1)]
    year_weights = [1.0 + 0.45 * i for i in range(len(years))]
    schools = {o.id: (3.0 if o.level == "mbo" else 1.5) for o in directory.schools}
    orgs = {**schools, directory.network.id: 0.6}
    orgs |= {o.id: 0.25 for o in directory.organizations if o.kind in ("sbb", "workplace")}
    out = []
    for _ in range(count):
        year = rnd.choices(years, year_weights)[0]
        moment = year_start(year) + timedelta(hours=rnd.randrange(364 * 24))
        out.append(_demo_report(rnd, directory, student_time(moment), orgs, policy))
    return out


def _demo_report(
    rnd: random.Random,
    directory: Directory,
    created: datetime,
    orgs: dict[str, float],
    policy: DeadlinePolicy,
) -> tuple[Report, list[Deadline]]:
    org_id = _weighted(rnd, orgs)
    org = directory.organization(org_id)
    urgent = rnd.random() < 0.06
    status = _weighted(
        rnd, {"closed": 8, "in_progress": 1, "waiting": 0.5, "received": 0.3, "withdrawn": 0.6}
    )
    grounds = {
        _weighted(
            rnd,
            {
                "origin": 10,
                "religion": 5,
                "gender": 2,
                "disability": 1.2,
                "age": 0.6,
                "orientation": 0.6,
                "other": 1,
                "unknown": 1,
            },
        )
    }
    if rnd.random() < 0.25:
        grounds.add(_weighted(rnd, {"origin": 3, "religion": 4, "gender": 2}))
    acknowledged = add_working_days(created, rnd.choice([0, 1, 1, 1, 2, 2, 3, 5]))
    feedback = add_working_days(created, rnd.choice([3, 5, 7, 9, 10, 12, 16]))
    closed = status == "closed"
    report = Report(
        id=tokens.new_hex_id(16),
        reference=_demo_reference(rnd),
        org_id=org_id,
        phase=_weighted(rnd, {"looking": 5, "interview": 3, "during": 4, "other": 0.6}),
        grounds=",".join(sorted(grounds)),
        when_bucket=_weighted(rnd, {"week": 3, "month": 3, "earlier": 2, "ongoing": 1}),
        wants=_weighted(rnd, {"register": 2, "talk": 4, "action": 2, "advice": 2}),
        visibility="network" if org is not None and org.kind == "network" else "school",
        urgent=urgent,
        status=status,
        created_at=created,
        updated_at=created,
        level=(org.level if org is not None and org.kind == "school" else None)
        if rnd.random() < 0.97
        else None,
        acknowledged_at=acknowledged,
        first_feedback_at=feedback if status != "received" else None,
        closed_at=feedback + timedelta(days=rnd.randrange(5, 60)) if closed else None,
        outcome=_weighted(
            rnd, {"resolved": 3, "advised": 4, "referred": 2, "no_action": 1, "no_contact": 1}
        )
        if closed
        else None,
        withdrawn_at=created + timedelta(days=3) if status == "withdrawn" else None,
        erased_at=created,  # statistics only: there is nothing to open or to erase
    )
    deadlines = []
    for kind, due in due_dates(created, urgent=urgent, policy=policy):
        met = acknowledged if kind == "acknowledge" else report.first_feedback_at
        late = met is None or met > due
        level = rnd.choice([1, 1, 2, 3]) if late else 0
        deadlines.append(
            Deadline(report_id=report.id, kind=kind, due_at=due, met_at=met, level=level,
                     next_step_at=due)
        )  # fmt: skip
    return report, deadlines


async def seed_demo_reports(
    sessions: async_sessionmaker[AsyncSession],
    directory: Directory,
    now: datetime,
    policy: DeadlinePolicy,
    count: int = DEMO_REPORTS,
) -> int:
    """Adds the demo reports once (none if any are there); returns how many."""
    async with sessions() as session, session.begin():
        have = await session.scalar(
            select(func.count()).select_from(Report).where(Report.reference.like(f"{DEMO_PREFIX}%"))
        )
        if have:
            return 0
        made = demo_reports(directory, now, policy, count)
        session.add_all(r for r, _ in made)
        await session.flush()
        session.add_all(d for _, ds in made for d in ds)
    return len(made)


async def seed_demo_figures(container: Container) -> Sequence[str]:
    """The demo reports and the lines that say how to see them."""
    network = container.directory.network
    coordinator = next(iter(network.coordinators or network.advisers), None)
    added = await seed_demo_reports(
        container.sessions, container.directory, container.reports.clock(),
        container.deadline_policy,
    )  # fmt: skip
    base = container.settings.web.base_url
    lines = [
        f"Demo figures: {added} synthetic reports (references DEMO-…) added"
        if added
        else "Demo figures: the synthetic reports (DEMO-…) of an earlier demo run are there",
    ]
    if coordinator is not None:
        who = coordinator.email or coordinator.id
        lines.append(
            f"  See them: log in as the network coordinator ({who}), open {base}/console/figures"
        )
    return lines
