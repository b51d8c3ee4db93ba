"""What the walks through the report flow share: both languages, a step's options, a
draft's answer to a step, what it takes to reach a step, and a chat at the summary."""

from __future__ import annotations

from dialogues import Draft
from tests.support.dialogue_driver import ENGINE, Chat, start

LANGS = ["nl", "en"]


def step_options(step_id: str) -> list[str]:
    step = ENGINE.flow.step(step_id)
    assert step is not None
    return list(ENGINE.q.options(step))


def draft_value(draft: Draft, step_id: str) -> object:
    if step_id == "safety":
        return "yes" if draft.danger else "threat" if draft.threat else "no"
    if step_id == "pattern_consent":
        return "yes" if draft.pattern_consent else "no"
    return getattr(draft, step_id)


# What it takes to be asked a step that is not always asked.
REACH: dict[str, dict[str, object]] = {
    "recognised": {"school": "mondriaan", "visibility": "school_and_workplace"},
    "evidence_note": {"evidence": "yes"},
    "pattern_consent": {"workplace": "Albert Heijn B.V."},
}


def at_summary(lang: str = "nl", choices: dict[str, object] | None = None) -> Chat:
    chat = start(lang)
    chat.walk_to("summary", choices or {})
    return chat
