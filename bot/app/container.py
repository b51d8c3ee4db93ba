"""The container: everything the channels, the console and the command line need,
built once from the settings (`build_container`), so no caller assembles its own.

Start-up creates what an embedded install lacks (database schema, server keys) so that
`make run` works on a fresh clone; it says so in the log, and never prints a secret there.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app.settings import Settings, stale_contacts
from bot.intake.guessing import GuessLimits
from bot.intake.nudging import NudgeQueue
from bot.intake.receipt_gate import ReceiptGate
from bot.intake.visits import Visits
from dialogues import Engine, FlowContext, HelpRoute
from escalation.casework.deadlines import DeadlinePolicy, reply_due
from escalation.casework.directory import Adviser, Directory, Organization
from escalation.casework.email import SmtpConfig
from escalation.casework.routing import Rule, Rules
from storage.crypto.draft_keys import DraftKeys
from storage.crypto.ephemeral import EphemeralKey
from storage.crypto.kdf import KdfParams
from storage.crypto.kdf_thread import set_max_queued_checks
from storage.crypto.keys import KeysMissing, KeyStore
from storage.crypto.matching_keys import MatchingKeys
from storage.crypto.sealed_keys import orphan_counts
from storage.db.engine import make_engine, migrate, session_factory
from storage.repositories.accounts import Accounts
from storage.repositories.advisers import AdviserKeys
from storage.repositories.attempts import StatusAttempts
from storage.repositories.cases import Cases
from storage.repositories.conversations import ConversationStore
from storage.repositories.deadlines import DeadlineStore
from storage.repositories.evaluations import EvaluationStore
from storage.repositories.outbox import Outbox
from storage.repositories.patterns import PatternPolicy
from storage.repositories.proofs import backfill as backfill_proofs
from storage.repositories.reports import ReportStore
from storage.repositories.retention import Retention
from storage.repositories.student import StudentSide
from storage.repositories.updates import UpdateLog

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keys: KeyStore
    directory: Directory
    rules: Rules
    deadline_policy: DeadlinePolicy
    channels: frozenset[str]  # where notices can go: telegram, email
    smtp: SmtpConfig | None
    deadlines: DeadlineStore
    student: StudentSide
    evaluations: EvaluationStore  # the students' evaluations of the follow-up after closing
    nudges: NudgeQueue  # "there is news" for students who asked: in memory only
    retention: Retention
    dialogue: Engine
    reports: ReportStore
    conversations: ConversationStore
    attempts: StatusAttempts
    updates: UpdateLog
    advisers: AdviserKeys
    outbox: Outbox
    accounts: Accounts  # the console's logins and enrolment, also for `stagemeld adviser add`
    cases: Cases  # what the console does with a report
    guessing: GuessLimits  # receipt codes per client address and overall, in memory
    # Drawn at start, never written: seals what a conversation state holds that names a
    # report (the reply token), so neither a disk copy nor a restarted service opens it.
    ephemeral: EphemeralKey
    # Company patterns: the matching keys (keys.dir/matching) and who is told of a
    # release; both None when `patterns.enabled` is false.
    matching: MatchingKeys | None = None
    patterns: PatternPolicy | None = None
    # The report each visit opened with a code (its sealed token): memory only, see
    # bot/intake/visits.py; nothing at rest links a chat to a report.
    visits: Visits = field(default_factory=Visits)
    # Turns that carry a receipt code, one at a time up to their derivation
    # (bot/intake/receipt_gate.py): a burst of status checks does not take the event loop from
    # everyone else at once.
    receipt_gate: ReceiptGate = field(default_factory=ReceiptGate)

    async def close(self) -> None:
        await self.db.dispose()


def directory_from(settings: Settings) -> Directory:
    return Directory(
        tuple(
            Organization(
                id=o.id,
                name=o.name,
                kind=o.kind.value,
                level=o.level,
                advisers=tuple(
                    Adviser(a.id, a.name, o.id, a.email, a.telegram_chat_id, a.role)
                    for a in o.advisers
                ),
                students=o.students,
                kvk=o.kvk,
            )
            for o in settings.directory.organizations
        )
    )


def routing_rules(settings: Settings) -> Rules:
    r = settings.directory.routing
    return Rules(
        rules=tuple(
            Rule(rule.to, {k: frozenset(v) for k, v in rule.when.items()}) for rule in r.rules
        ),
        urgent_when={k: frozenset(v) for k, v in r.urgent_when.items()},
    )


def smtp_config(settings: Settings) -> SmtpConfig | None:
    m = settings.smtp
    if not m.host:
        return None
    return SmtpConfig(
        host=m.host,
        port=m.port,
        starttls=m.starttls,
        username=m.username,
        password=m.password.get_secret_value() if m.password else None,
        sender=m.sender,
        timeout=m.timeout_seconds,
        ca_file=str(m.ca_file) if m.ca_file else None,
    )


def notice_channels(settings: Settings) -> frozenset[str]:
    enabled = {"telegram"} if settings.telegram.active else set()
    if settings.smtp.host:
        enabled.add("email")
    return frozenset(enabled)


def deadline_policy(settings: Settings) -> DeadlinePolicy:
    d = settings.directory.deadlines
    return DeadlinePolicy(
        acknowledge_working_days=d.acknowledge_working_days,
        acknowledge_urgent_hours=d.acknowledge_urgent_hours,
        feedback_working_days=d.feedback_working_days,
        reply_working_days=d.reply_working_days,
        escalate_every=timedelta(hours=d.escalate_every_hours),
    )


def console_accounts(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], keys: KeyStore
) -> Accounts:
    c = settings.console
    return Accounts(
        sessions,
        keys,
        # Account-wide, from every address together: higher than the per-address bound
        # (escalation/console/throttle.py), so a stranger cannot lock an adviser out.
        max_failures=c.login_account_max_failures,
        lock=timedelta(minutes=c.login_lock_minutes),
        link_valid=timedelta(hours=c.enrol_link_hours),
    )


def kdf_params(settings: Settings) -> KdfParams:
    a = settings.keys.argon2
    return KdfParams(iterations=a.iterations, lanes=a.lanes, memory_kib=a.memory_kib)


def ensure_keys(settings: Settings) -> KeyStore:
    """Load the keys, or create them on first start and show the recovery key once."""
    try:
        return KeyStore.load(settings.keys.dir)
    except KeysMissing:
        pass
    keys, recovery_private = KeyStore.init(settings.keys.dir, kdf_params(settings))
    log.warning("created new server keys in %s (first start)", settings.keys.dir)
    hand_out_recovery_key(settings.keys.dir, recovery_private)
    return keys


RECOVERY_FILE = "RECOVERY-KEY-move-offline"


def hand_out_recovery_key(
    keys_dir: Path, recovery_private: str, out: TextIO | None = None
) -> Path | None:
    """Shows the new recovery private key to a person, once, and never to the logger.

    On a terminal it is printed. Otherwise (a service manager, a container, a pipe: where
    stdout ends up in a log that lives on and gets copied) it goes to a new 0600 file
    next to `keys.dir`, and the log names that file and says to move it offline. Returns
    the file's path, or None when it was printed.
    """
    out = out if out is not None else sys.stdout
    if out.isatty():
        print(recovery_banner(recovery_private), file=out, flush=True)
        return None
    path = _write_new(Path(keys_dir).resolve().parent, (recovery_banner(recovery_private) + "\n"))
    log.warning(
        "the RECOVERY KEY was written to %s (not shown: no terminal): copy it offline "
        "(paper, a safe), then delete that file; it opens every report",
        path,
    )
    return path


def help_routes(settings: Settings) -> tuple[HelpRoute, ...]:
    """network.yaml's elsewhere: as the engine takes it (no dates: those are for operators)."""
    return tuple(
        HelpRoute(
            kind=r.kind,
            name=r.name,
            phone=r.phone or "",
            web=r.web or "",
            when=tuple(r.when.items()),
        )
        for r in settings.directory.elsewhere
    )


def warn_about_stale_contacts(settings: Settings, today: date) -> list[str]:
    """A number nobody confirmed for a year may send a student to a dead line."""
    lines = stale_contacts(settings, today)
    for line in lines:
        log.warning("%s", line)
    return lines


def warn_about_recovery_file(keys_dir: Path) -> list[Path]:
    """Every start says so while a recovery key file is still on the server: until it is
    moved offline, a copy of the disk opens every report with it."""
    left = sorted(Path(keys_dir).resolve().parent.glob(f"{RECOVERY_FILE}*.txt"))
    if left:
        log.warning(
            "the RECOVERY KEY is still on this server (%s): copy it offline, then delete "
            "it; until then a copy of this disk opens every report",
            ", ".join(str(p) for p in left),
        )
    return left


def _write_new(directory: Path, text: str) -> Path:
    """A new file (O_EXCL, 0600 from the start); a leftover one is never overwritten."""
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = directory / (f"{RECOVERY_FILE}.txt" if n == 1 else f"{RECOVERY_FILE}-{n}.txt")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        return path
    raise FileExistsError(f"too many {RECOVERY_FILE} files in {directory}; move them offline")


def recovery_banner(recovery_private: str) -> str:
    line = "=" * 72
    return (
        f"{line}\nRECOVERY KEY — shown this once. Store it offline (paper, a safe); it opens\n"
        f"every report if an adviser loses their passphrase. It is not stored anywhere.\n\n"
        f"{recovery_private}\n{line}"
    )


def pattern_policy(settings: Settings, directory: Directory) -> PatternPolicy | None:
    """Who hears of a release: the network's coordinators (all its advisers when none is
    marked coordinator) and SBB's advisers, each by every channel this service has."""
    if not settings.directory.patterns.enabled:
        return None
    enabled = notice_channels(settings)
    coordinators = directory.network_coordinators
    sbb = directory.sbb_advisers
    everyone = [a for o in directory.organizations for a in o.advisers]
    return PatternPolicy(
        threshold=settings.directory.patterns.threshold,
        coordinators=tuple(a.id for a in coordinators),
        sbb=tuple(a.id for a in sbb),
        channels={a.id: tuple(c for c in a.channels if c in enabled) for a in everyone},
    )


async def build_container(settings: Settings) -> Container:
    keys = ensure_keys(settings)
    db = make_engine(settings.database.url)
    await migrate(db)
    sessions = session_factory(db)
    await backfill_proofs(sessions, keys)  # once: rows from before proofs existed
    directory = directory_from(settings)
    context = FlowContext(
        schools=tuple((o.id, o.name, o.level or "") for o in directory.schools),
        visibility=settings.directory.reporting.visibility,
        workplaces=tuple((o.id, o.name) for o in directory.organizations if o.kind == "workplace"),
        aliases=tuple((o.id, o.aliases) for o in settings.directory.organizations if o.aliases),
        network=settings.directory.network.name,
        elsewhere=help_routes(settings),
    )
    status = settings.status
    set_max_queued_checks(status.max_queued_checks)
    patterns = pattern_policy(settings, directory)
    matching = MatchingKeys.load(keys.dir) if patterns is not None else None
    reports = ReportStore(sessions, keys, patterns=patterns)
    nudges = NudgeQueue()
    return Container(
        settings=settings,
        db=db,
        sessions=sessions,
        keys=keys,
        directory=directory,
        rules=routing_rules(settings),
        deadline_policy=deadline_policy(settings),
        channels=notice_channels(settings),
        smtp=smtp_config(settings),
        deadlines=DeadlineStore(sessions, keys.server),
        student=StudentSide(sessions, reports, reply_due=reply_due(deadline_policy(settings))),
        evaluations=EvaluationStore(sessions, keys),
        nudges=nudges,
        retention=Retention(
            sessions,
            keys.server,
            keep=timedelta(days=settings.directory.retention.days),
            warn_before=timedelta(days=settings.directory.retention.warn_days),
        ),
        dialogue=Engine(context),
        reports=reports,
        conversations=ConversationStore(
            sessions, DraftKeys(keys.dir), ttl=timedelta(hours=settings.conversation.ttl_hours)
        ),
        attempts=StatusAttempts(
            sessions, limit=status.max_failures, window=timedelta(minutes=status.lock_minutes)
        ),
        updates=UpdateLog(sessions),
        advisers=AdviserKeys(sessions, keys.server),
        outbox=Outbox(sessions),
        accounts=console_accounts(settings, sessions, keys),
        cases=Cases(sessions, keys.server, news=nudges.put),
        guessing=GuessLimits(status.per_address_per_hour, status.overall_per_hour),
        ephemeral=EphemeralKey(),
        matching=matching,
        patterns=patterns,
        receipt_gate=ReceiptGate(max_waiting=status.max_queued_checks),
    )


async def warn_about_keyless_advisers(container: Container) -> None:
    ids = [a.id for o in container.directory.organizations for a in o.advisers]
    have = await container.advisers.public_keys(ids)
    missing = [adviser_id for adviser_id in ids if adviser_id not in have]
    if missing:
        # One line, so the first lines of `make run` still say where to point the browser.
        log.warning(
            "advisers without a key yet (%s): reports for them are readable only with the "
            "recovery key until `stagemeld adviser add --adviser ID`",
            ", ".join(missing),
        )


async def warn_about_orphans(container: Container) -> int:
    """One log line when reports exist that no enrolled adviser can open (sealed to the
    recovery key alone): how many, for which organizations, and what to do. Returns the
    count."""
    async with container.sessions() as session:
        counts = await orphan_counts(session)
    total = sum(counts.values())
    if total:
        per_org = ", ".join(f"{org or '-'}: {n}" for org, n in sorted(counts.items(), key=str))
        log.warning(
            "%d report(s) no enrolled adviser can read, only the recovery key (%s): enrol an "
            "adviser for that organization (`stagemeld adviser add --adviser ID`), then run "
            "`stagemeld recover --to ID --orphans` offline with the recovery key "
            "(docs/security.md, 'Orphans and the recovery key')",
            total,
            per_org,
        )
    return total
