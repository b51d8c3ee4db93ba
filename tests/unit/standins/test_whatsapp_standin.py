"""The WhatsApp stand-in's own checks: its trimmed copy of Meta's spec is Meta's, its
quirk handling lets Meta's own examples through, and it refuses what Meta would."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from standins.whatsapp.limits import limit_errors
from standins.whatsapp.schema import schema_errors, spec_copy
from standins.whatsapp.spec.trim import load_full, trimmed

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "whatsapp-cloud-api" / "business-messaging-api_v23.0.yaml"
OURS = ("Send Reply Button", "Send List Message", "Send Sample Text Message")


def test_the_trimmed_copy_matches_the_shared_spec() -> None:
    shared = next(
        (p for p in (SHARED, Path("/work/shared/whatsapp-cloud-api") / SHARED.name) if p.is_file()),
        None,
    )
    if shared is None:
        pytest.skip("the shared full spec is not beside this checkout")
    assert trimmed(load_full(shared)) == spec_copy()


@pytest.mark.parametrize("name", OURS)
def test_meta_examples_of_what_the_bot_sends_validate(name: str) -> None:
    example = spec_copy()["examples"][name]
    assert schema_errors(example) == []


def test_a_template_without_a_language_policy_validates() -> None:
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "31600000000",
        "type": "template",
        "template": {"name": "stagemeld_news", "language": {"code": "nl"}},
    }
    assert schema_errors(body) == [] and limit_errors(body) == []


def _list(rows: int) -> dict[str, object]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "31600000000",
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Kies"},
            "action": {
                "button": "Kies",
                "sections": [
                    {"rows": [{"id": f"1:{i}", "title": f"Optie {i}"} for i in range(rows)]}
                ],
            },
        },
    }


def test_what_meta_refuses_is_refused() -> None:
    assert schema_errors(_list(10)) == [] and limit_errors(_list(10)) == []
    assert limit_errors(_list(11))  # 10 rows in all
    two_sections = copy.deepcopy(_list(4))
    sections = two_sections["interactive"]["action"]["sections"]  # type: ignore[index]
    sections.append({"rows": [{"id": "2:x", "title": "Nog een"}]})
    assert any("section title" in e for e in limit_errors(two_sections))
    same = _list(2)
    for row in same["interactive"]["action"]["sections"][0]["rows"]:  # type: ignore[index]
        row["title"] = "Dezelfde"
    assert any("not unique" in e for e in limit_errors(same))
    long_title = _list(1)
    long_title["interactive"]["action"]["sections"][0]["rows"][0]["title"] = "x" * 25  # type: ignore[index]
    assert schema_errors(long_title)
    html = {**_list(1)}
    html["interactive"] = {**html["interactive"], "body": {"text": "<b>vet</b>"}}  # type: ignore[dict-item]
    assert any("HTML" in e for e in limit_errors(html))
    unknown = {**_list(1), "surprise": 1}
    assert schema_errors(unknown)
