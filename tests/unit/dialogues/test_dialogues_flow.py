"""The flow is data: the shipped one is what the engine walks, and a malformed one, or an
operator config the buttons cannot carry, stops start-up with the culprit named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogues import Engine, FlowContext
from dialogues.flow import FLOW_FILE, load_flow
from tests.support.dialogue_driver import CONTEXT, Chat


def test_the_shipped_flow_is_the_cognitive_interview_order() -> None:
    flow = load_flow()
    assert flow.ids() == (
        "safety",
        "phase",
        "story",  # free recall first ...
        "grounds",  # ... then the specific questions
        "when",
        "school",
        "workplace",
        "workplace_town",  # a typed name: where, and its KvK number
        "workplace_kvk",
        "pattern_consent",  # any workplace given: may it take part in matching?
        "sector",  # optional, for the figures
        "evidence",
        "evidence_note",
        "wants",
        "visibility",
        "recognised",  # last: only for mbo with the workplace allowed
    )


def _steps() -> list[dict[str, object]]:
    data = yaml.safe_load(FLOW_FILE.read_text(encoding="utf-8"))
    steps = data["steps"]
    assert isinstance(steps, list)
    return steps


def _write(tmp_path: Path, steps: object) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump({"steps": steps}), encoding="utf-8")
    return path


def _changed(step_id: str, **changes: object) -> list[dict[str, object]]:
    steps = _steps()
    for step in steps:
        if step["id"] == step_id:
            step.update(changes)
    return steps


@pytest.mark.parametrize(
    ("steps", "named"),
    [
        (_changed("phase", kind="dropdown"), "phase"),
        (_changed("phase", options=[]), "phase"),
        (_changed("phase", options=["looking", "looking"]), "phase"),
        (_changed("phase", options=["next", "looking"]), "phase"),
        (_changed("phase", options=["Met Spaties"]), "phase"),
        (_changed("when", colour="red"), "when"),
        (_changed("workplace", max_length=0), "workplace"),
        (_changed("workplace", max_length="veel"), "workplace"),
        (_changed("story", max_total=10), "story"),
        (_changed("workplace", optional="ja"), "workplace"),
        (_changed("school", options_from="cities"), "school"),
        (_changed("safety", extra={"maybe": "safety_help"}), "safety"),
        (_changed("evidence_note", only_if={"wants": "yes"}), "evidence_note"),
        (_changed("evidence_note", only_if={"evidence": "perhaps"}), "evidence_note"),
        (_changed("workplace", kind="story"), "workplace"),
        (_changed("wants", id="summary"), "summary"),
        (_changed("workplace", options_from="schools"), "workplace"),
        (_changed("when", options_from="workplaces"), "when"),
        (_changed("story", options_from="workplaces"), "story"),
        (_changed("recognised", school_level="wo"), "recognised"),
        (_changed("school", school_level="mbo"), "school"),
        ([*_steps(), _steps()[1]], "phase"),
        ([{"kind": "choice"}], "step 0"),
    ],
)
def test_a_malformed_flow_names_the_step(
    tmp_path: Path, steps: list[dict[str, object]], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        load_flow(_write(tmp_path, steps))


@pytest.mark.parametrize("top", [None, [], {"steps": []}, {"steps": "safety"}])
def test_a_flow_without_steps_is_refused(tmp_path: Path, top: object) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(top), encoding="utf-8")
    with pytest.raises(ValueError):
        load_flow(path)


def test_a_flow_without_a_step_the_draft_needs_is_refused(tmp_path: Path) -> None:
    steps = [s for s in _steps() if s["id"] != "wants"]
    with pytest.raises(ValueError, match="wants"):
        Engine(CONTEXT, flow_path=_write(tmp_path, steps))


def test_the_engine_follows_the_flow_file(tmp_path: Path) -> None:
    """Moving a step in the YAML moves it in the conversation: the flow really is data."""
    steps = _steps()
    when = next(s for s in steps if s["id"] == "when")
    steps.remove(when)
    steps.insert(1, when)
    engine = Engine(CONTEXT, flow_path=_write(tmp_path, steps))
    chat = Chat(engine)
    chat.cmd("start")
    chat.press("no")
    assert chat.keys == ["ask_when"]


@pytest.mark.parametrize(
    ("schools", "named"),
    [
        ((("Bad Id", "X", "hbo"),), "Bad Id"),
        ((("none", "Geen", "hbo"),), "none"),
        ((("back", "Terug", "mbo"),), "back"),
        ((("a" * 33, "Lang", "mbo"),), "a" * 33),
        ((("hhs", "HHS", "hbo"), ("hhs", "HHS again", "hbo")), "twice"),
        ((("hhs", "  ", "hbo"),), "hhs"),
        ((("hhs", "HHS", "wo"),), "level"),
        ((("hhs", "HHS", ""),), "level"),
    ],
)
def test_school_ids_must_fit_a_button(
    schools: tuple[tuple[str, str, str], ...], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        Engine(FlowContext(schools=schools))


@pytest.mark.parametrize(
    ("workplaces", "named"),
    [
        ((("Bad Id", "X"),), "Bad Id"),
        ((("skip", "Overslaan BV"),), "skip"),
        ((("a" * 33, "Lang"),), "a" * 33),
        ((("haga", "Haga"), ("haga", "Haga again")), "twice"),
        ((("haga", " "),), "haga"),
    ],
)
def test_workplace_ids_must_fit_a_button(
    workplaces: tuple[tuple[str, str], ...], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        Engine(FlowContext(schools=(), workplaces=workplaces))


def test_without_workplaces_the_workplace_step_is_plain_text() -> None:
    chat = Chat(Engine(FlowContext(schools=()), strict=True))
    chat.cmd("start")
    chat.walk_to("workplace", {"school": "none"})
    assert chat.offered == ["skip"]
    assert "Tik erop" not in chat.text


@pytest.mark.parametrize("visibility", [(), ("school", "school"), ("School!",)])
def test_visibility_choices_must_be_sane(visibility: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="visibility"):
        Engine(FlowContext(schools=(), visibility=visibility))


def test_no_schools_still_offers_none() -> None:
    chat = Chat(Engine(FlowContext(schools=()), strict=True))
    chat.cmd("start")
    chat.walk_to("school")
    assert chat.offered == ["none"]


def test_a_narrower_visibility_is_what_is_offered_and_explained() -> None:
    engine = Engine(FlowContext(schools=(), visibility=("network", "school")), strict=True)
    chat = Chat(engine, lang_hint="en")
    chat.cmd("start")
    chat.walk_to("visibility", {"school": "none"})
    assert chat.offered == ["network", "school"]
    assert "(recommended)" in chat.buttons[0].label
    assert "workplace" not in chat.text.lower()
