"""The engine's replies fitted to WhatsApp: every label fits, long texts are split, every
question of the flow renders to bodies Meta's schema and documented limits accept."""

from __future__ import annotations

import pytest

from bot.whatsapp.labels import BUTTON_TITLE, ROW_TITLE, Labels
from bot.whatsapp.markup import split, whatsapp_text
from bot.whatsapp.render import Renderer, press_of
from dialogues import Button, Command, DrawReceipt, Engine, FlowContext, Press, Reply, Text
from dialogues.texts import load_texts
from tests.standin.whatsapp.limits import limit_errors
from tests.standin.whatsapp.schema import schema_errors

TEXTS = load_texts()
LABEL_PREFIXES = ("btn_", "opt_", "lang_name_")
CONTEXT = FlowContext(
    schools=(
        ("hhs", "De Haagse Hogeschool", "hbo"),
        ("long", "Regionaal Opleidingencentrum Mondriaan Den Haag", "mbo"),
        ("long2", "Regionaal Opleidingencentrum Mondriaan Delft", "mbo"),
    ),
    visibility=("school_and_workplace", "school", "network"),
    workplaces=(("gem", "Gemeente Den Haag"),),
)


def _valid(body: dict[str, object]) -> list[str]:
    full = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "31600000000"}
    full.update(body)
    return schema_errors(full) + limit_errors(full)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_label_fits_a_list_row_without_being_cut(lang: str) -> None:
    texts = TEXTS[lang]
    labels = Labels(texts)
    keys = sorted(k for k in sorted(TEXTS["nl"].keys()) if k.startswith(LABEL_PREFIXES))
    assert len(keys) > 40
    too_long = {}
    for key in keys:
        label = texts.get(key)
        shown = [labels.short(label)]
        if key.startswith("opt_grounds_"):
            shown.append(labels.short(texts.get("selected_mark", label=label)))
        if key.startswith("opt_visibility_"):
            shown.append(labels.short(texts.get("recommended", label=label)))
        too_long.update({s: key for s in shown if len(s) > ROW_TITLE})
    assert too_long == {}, "add a wa_<key> text in the whatsapp section"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_short_label_is_shorter(lang: str) -> None:
    texts = TEXTS[lang]
    for key in sorted(texts.keys()):
        if key.startswith("wa_") and key[3:].startswith(LABEL_PREFIXES):
            assert len(texts.get(key)) <= ROW_TITLE, key
            assert len(texts.get(key)) <= max(len(texts.get(key[3:])), BUTTON_TITLE), key


def _walk(engine: Engine, lang: str) -> list[Reply]:
    """Every question on the way to the receipt: the first option each time, a ground
    chosen, a story typed."""
    outcome = engine.handle(None, Command(name="start"), lang_hint=lang, can_push=True)
    replies = list(outcome.replies)
    state = outcome.state
    toggled = False
    for _ in range(40):
        assert state is not None
        asking = [r for r in outcome.replies if r.buttons]
        if not asking:
            outcome = engine.handle(state, Text(text="Een verhaal over wat er gebeurde."))
        else:
            buttons = [b for row in asking[-1].buttons for b in row]
            wanted = ("done", "skip", "next") if toggled else ("done", "skip")
            choice = next((b for b in buttons if b.value in wanted), buttons[0])
            if any(b.value == "next" for b in buttons) and not toggled:
                choice, toggled = buttons[1], True  # the grounds: one on, then next
            outcome = engine.handle(state, Press(choice.turn, choice.value))
        if isinstance(outcome.action, DrawReceipt) and outcome.state is not None:
            outcome = engine.receipt_drawn(outcome.state, "1234567812345678", push=True)
        replies += outcome.replies
        if outcome.state is None or outcome.state.menu == "receipt":
            break
        state = outcome.state
    return replies


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_question_renders_within_the_spec(lang: str) -> None:
    engine = Engine(CONTEXT)
    replies = _walk(engine, lang)
    keys = {r.key for r in replies}
    assert {"welcome", "ask_grounds", "ask_school", "summary", "receipt"} <= keys, keys
    renderer = Renderer(TEXTS[lang])
    for reply in replies:
        for body in renderer.messages(reply):
            assert _valid(body) == [], (reply.key, body)


def test_long_school_names_are_cut_unique_and_described() -> None:
    renderer = Renderer(TEXTS["nl"])
    long_a = "Regionaal Opleidingencentrum Mondriaan Den Haag"
    long_b = "Regionaal Opleidingencentrum Mondriaan Delft"
    reply = Reply(
        "ask_school", "Welke school?", ((Button(long_a, "a", 3),), (Button(long_b, "b", 3),))
    )
    (body,) = renderer.messages(reply)
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert len({r["title"] for r in rows}) == 2
    assert all(len(r["title"]) <= ROW_TITLE for r in rows)
    assert [r["description"] for r in rows] == [long_a, long_b]
    assert _valid(body) == []


def test_a_long_text_goes_first_and_the_question_rides_with_the_buttons() -> None:
    renderer = Renderer(TEXTS["nl"])
    story = "<b>Samenvatting</b>\n\n" + "\n\n".join(["Een lange alinea. " * 20] * 20)
    text = f"{story}\n\nKlopt dit?"
    reply = Reply(
        "summary", text, ((Button("Versturen", "submit", 9), Button("Aanpassen", "edit", 9)),)
    )
    bodies = renderer.messages(reply)
    assert [b["type"] for b in bodies][-1] == "interactive"
    body = bodies[-1]["interactive"]["body"]["text"]
    assert body.endswith("Klopt dit?") and len(body) <= 1024
    shown = "".join(b["text"]["body"] for b in bodies[:-1]) + body
    assert shown.count("Een lange alinea.") == 400  # nothing lost on the way
    assert all(_valid(b) == [] for b in bodies)
    assert "*Samenvatting*" in bodies[0]["text"]["body"]


def test_more_than_ten_options_take_several_lists() -> None:
    renderer = Renderer(TEXTS["nl"])
    buttons = tuple((Button(f"School {i}", f"s{i}", 2),) for i in range(14))
    bodies = renderer.messages(Reply("ask_school", "Welke school?", buttons))
    assert len(bodies) == 2
    assert all(_valid(b) == [] for b in bodies)


def test_markup_and_splitting() -> None:
    assert whatsapp_text("<b>Let op</b>: &lt;geen&gt; <i>tags</i>") == "*Let op*: <geen> _tags_"
    pieces = split("a" * 5000 + "\n\n" + "b" * 10, 4096)
    assert all(len(p) <= 4096 for p in pieces) and "".join(pieces).count("a") == 5000


def test_button_ids_carry_the_turn() -> None:
    assert press_of("12:religion") == Press(12, "religion")
    assert press_of("forged") == Press(-1, "-")
    assert press_of("1:" + "x" * 200) == Press(-1, "-")
