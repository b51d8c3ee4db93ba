"""Start-up checks of what the engine is given: the operator's organizations and choices,
and the texts. A mistake here should stop the service with a sentence naming it, not
surface as a broken button in a student's chat."""

from __future__ import annotations

from dialogues.flow import CONTROL_VALUES, LEVELS, OPTION, Flow
from dialogues.required_keys import ELSEWHERE_KINDS, required_keys
from dialogues.texts import DEFAULT, Texts
from dialogues.types import FlowContext
from vocabulary.locales import missing


def check_context(context: FlowContext) -> None:
    for org_id, name, level in context.schools:
        _check_org("school", org_id, name)
        if level not in LEVELS:
            raise ValueError(f"school {org_id}: level must be one of {', '.join(LEVELS)}")
    _check_unique("schools", [org_id for org_id, _, _ in context.schools])
    for org_id, name in context.workplaces:
        _check_org("workplace", org_id, name)
    _check_unique("workplaces", [org_id for org_id, _ in context.workplaces])
    if not context.visibility:
        raise ValueError("visibility: needs at least one choice")
    if len(set(context.visibility)) != len(context.visibility):
        raise ValueError("visibility: a choice is listed twice")
    for choice in context.visibility:
        if not isinstance(choice, str) or not OPTION.match(choice):
            raise ValueError(f"visibility {choice!r}: not a valid choice name")
    for route in context.elsewhere:
        if route.kind not in ELSEWHERE_KINDS:
            raise ValueError(
                f"elsewhere {route.name}: kind must be one of {', '.join(ELSEWHERE_KINDS)}"
            )
        if not (route.phone or route.web):
            raise ValueError(f"elsewhere {route.name}: needs a phone or a web address")


def _check_org(kind: str, org_id: object, name: object) -> None:
    """The id travels in a button's callback data; the name is a button's label."""
    if not isinstance(org_id, str) or not OPTION.match(org_id) or org_id in CONTROL_VALUES:
        raise ValueError(
            f"{kind} {org_id!r}: an id must be a slug of at most 32 characters "
            f"([a-z0-9_-]) and not one of {', '.join(sorted(CONTROL_VALUES))}"
        )
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{kind} {org_id}: needs a name")


def _check_unique(what: str, ids: list[str]) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what}: an organization id is listed twice")


def check_texts(flow: Flow, context: FlowContext, texts: dict[str, Texts]) -> None:
    lacking = missing(texts, required_keys(flow, context))
    if lacking:
        raise ValueError(f"locales/{DEFAULT}.yaml lacks: {', '.join(lacking)}")
