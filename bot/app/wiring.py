"""The services (a turn, its follow-ups, filing, recovery) built from the container's parts.

The container (`bot/app/container.py`) holds the stores and keys built once at start;
this module hands each service exactly the collaborators it uses, so no service reaches
into the whole container and a test can build one from fakes instead.
"""

from __future__ import annotations

from bot.app.container import Container
from bot.app.recover import Recovery
from bot.intake.filing import Filing
from bot.intake.student_actions import FollowUpActions, FollowUpParts
from bot.intake.turns import TurnParts, Turns


def filing(c: Container) -> Filing:
    return Filing(
        directory=c.directory,
        rules=c.rules,
        advisers=c.advisers,
        reports=c.reports,
        deadline_policy=c.deadline_policy,
        channels=c.channels,
        matching=c.matching,
    )


def follow_up(c: Container) -> FollowUpActions:
    return FollowUpActions(
        FollowUpParts(
            student=c.student,
            attempts=c.attempts,
            guessing=c.guessing,
            receipt_gate=c.receipt_gate,
            evaluations=c.evaluations,
            advisers=c.advisers,
            directory=c.directory,
            channels=c.channels,
            ephemeral=c.ephemeral,
            reports=c.reports,
            lock_minutes=c.settings.status.lock_minutes,
        )
    )


def turns(c: Container) -> Turns:
    return Turns(
        TurnParts(
            engine=c.dialogue,
            chat_keys=c.keys.server,
            conversations=c.conversations,
            visits=c.visits,
            receipt_gate=c.receipt_gate,
            updates=c.updates,
            receipts=c.reports,
            follow_up=follow_up(c),
            filing=filing(c),
        )
    )


def recovery(c: Container) -> Recovery:
    return Recovery(
        directory=c.directory,
        advisers=c.advisers,
        sessions=c.sessions,
        server=c.keys.server,
        reports=c.reports,
        channels=c.channels,
    )
