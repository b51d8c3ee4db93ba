"""Turns a finished draft into a sealed, routed, stored report.

Plaintext columns are limited to what routing, deadlines and statistics need; everything
the student said goes into `content`, which storage encrypts.
"""

from __future__ import annotations

from bot.services import Services
from dialogues import Draft
from escalation.routing import Route, is_urgent, route
from storage.reports import AlsoInTransaction, Filed, NewReport, Recipient


async def file_draft(
    services: Services, draft: Draft, *, also: AlsoInTransaction | None = None
) -> Filed:
    chosen = route(services.directory, school=draft.school, visibility=draft.visibility)
    keys = await services.advisers.public_keys([a.id for a in chosen.advisers])
    new = NewReport(
        org_id=chosen.organization.id,
        phase=draft.phase,
        grounds=tuple(sorted(draft.grounds)),
        when_bucket=draft.when,
        wants=draft.wants,
        visibility=draft.visibility,
        urgent=is_urgent(danger=draft.danger),
        content=content_of(draft),
        recipients=tuple(Recipient(a, k) for a, k in keys.items()),
        notify=notifications_for(chosen),
    )
    return await services.reports.file(new, also=also)


def content_of(draft: Draft) -> dict[str, str]:
    return {
        "story": draft.story,
        "workplace": draft.workplace,
        "evidence": draft.evidence,
        "evidence_note": draft.evidence_note,
        "school_choice": draft.school,
        "lang": draft.lang,
        "danger": "yes" if draft.danger else "no",
    }


def notifications_for(chosen: Route) -> tuple[tuple[str, str], ...]:
    # E-mail delivery arrives with the advisers' console; until then Telegram only.
    return tuple((a.id, "telegram") for a in chosen.advisers if a.telegram_chat_id is not None)
