"""The engine's replies fitted to WhatsApp: every label fits, long texts are split, every
question of the flow renders to bodies Meta's schema and documented limits accept."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from bot.channels.whatsapp.labels import BUTTON_TITLE, ROW_TITLE, Labels
from bot.channels.whatsapp.markup import split, whatsapp_text
from bot.channels.whatsapp.render import Renderer, press_of
from dialogues import (
    Button,
    Command,
    DrawReceipt,
    Engine,
    FlowContext,
    HelpRoute,
    Press,
    Reply,
    StatusFound,
    Text,
)
from dialogues.texts import load_texts
from standins.whatsapp.limits import limit_errors
from standins.whatsapp.schema import schema_errors
from tests.support.dialogue_driver import ENGINE, Chat, start

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
    full.update(body)  # type: ignore[arg-type]
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


# --- the workplace, sector, did-you-mean, evaluation and sharing questions ------------

DAY = datetime.date(2026, 3, 4)
CODE = "4821093755218804"
ROUTES = (
    HelpRoute("municipal", "Den Haag Meldt", phone="070 752 82 00", web="denhaagmeldt.nl"),
    HelpRoute("police", "Politie", phone="0900-8844"),
)


def _shown(reply: Reply, lang: str) -> list[dict[str, Any]]:
    """The reply's WhatsApp bodies, each checked against Meta's schema and limits."""
    bodies = Renderer(TEXTS[lang]).messages(reply)
    for body in bodies:
        assert _valid(body) == [], (reply.key, body)
    return bodies


def _options(body: dict[str, Any]) -> tuple[str, list[str]]:
    """("button" | "list", the titles): every title a whole label, none cut with "…"."""
    interactive = body["interactive"]
    if interactive["type"] == "button":
        titles = [b["reply"]["title"] for b in interactive["action"]["buttons"]]
    else:
        titles = [r["title"] for s in interactive["action"]["sections"] for r in s["rows"]]
    assert not any(t.endswith("…") for t in titles), titles
    return interactive["type"], titles


def _asked(chat: Chat, key: str, lang: str) -> tuple[str, list[str]]:
    reply = chat.outcome.replies[-1]
    assert reply.key == key, chat.keys
    bodies = _shown(reply, lang)
    assert [b["type"] for b in bodies][-1] == "interactive"
    return _options(bodies[-1])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_workplace_pattern_and_sector_questions_fit(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("workplace")
    chat.say("Bakkerij Jansen")
    assert _asked(chat, "ask_workplace_town", lang)[0] == "button"  # skip
    chat.say("Den Haag")
    assert _asked(chat, "ask_workplace_kvk", lang)[0] == "button"
    chat.press("skip")
    assert _asked(chat, "ask_pattern_consent", lang) == (
        "button",
        [TEXTS[lang].get(f"opt_pattern_consent_{v}") for v in ("yes", "no", "explain")],
    )
    chat.press("explain")
    assert chat.keys[0] == "pattern_consent_explained"
    assert _asked(chat, "ask_pattern_consent", lang)[0] == "button"
    chat.press("yes")
    kind, titles = _asked(chat, "ask_sector", lang)
    assert kind == "list" and len(titles) == 10  # 9 sectors and skip: one list message
    assert len(Renderer(TEXTS[lang]).messages(chat.outcome.replies[-1])) == 1


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_did_you_mean_is_two_reply_buttons(lang: str) -> None:
    chat = start(lang)
    chat.walk_to("phase")
    chat.say("solisitatsie")
    kind, titles = _asked(chat, "confirm_guess", lang)
    assert kind == "button" and len(titles) == 2


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_evaluation_questions_fit(lang: str) -> None:
    chat = Chat(lang_hint=lang)
    chat.cmd("status", CODE)
    found = StatusFound("closed", DAY, reference="SM-2026-0042", feedback_token="fb.tok")
    chat._take(ENGINE.status_result(chat.state, found))
    kind, titles = _asked(chat, "feedback_ask_score", lang)
    assert kind == "list" and titles[:5] == ["1", "2", "3", "4", "5"] and len(titles) == 6
    chat.press("feedback.4")
    assert _asked(chat, "feedback_ask_text", lang)[0] == "button"
    chat.say("Sneller terugbellen graag.")
    kind, titles = _asked(chat, "feedback_ask_quote", lang)
    assert kind == "button" and len(titles) == 2  # both short enough for reply buttons


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_status_view_with_share_buttons_is_one_list(lang: str) -> None:
    chat = Chat(lang_hint=lang)
    chat.cmd("status", CODE)
    found = StatusFound(
        "in_progress", DAY, reference="SM-AAAA-BBBB", reply_token="tok", pattern=True,
        may_share=("network", "sbb"),
    )  # fmt: skip
    chat._take(ENGINE.status_result(chat.state, found))
    kind, titles = _asked(chat, "status_in_progress", lang)
    assert kind == "list" and len(titles) == 5  # reply, withdraw, two shares, done
    assert Labels(TEXTS[lang]).short(TEXTS[lang].get("btn_share_network")) in titles


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_where_else_to_go_is_plain_text_in_whatsapp_bold(lang: str) -> None:
    engine = Engine(FlowContext(schools=CONTEXT.schools, elsewhere=ROUTES), strict=True)
    chat = Chat(engine, lang_hint=lang)
    chat.cmd("start")
    chat.walk_to("summary")
    chat.press("submit")
    chat.receipt_drawn()
    chat.press("receipt.saved")
    out = chat.submitted()
    assert [r.key for r in out.replies] == ["elsewhere", "filed"]
    bodies = _shown(out.replies[0], lang)
    assert [b["type"] for b in bodies] == ["text"]
    text = bodies[0]["text"]["body"]
    assert "<" not in text and ">" not in text
    assert "*Den Haag Meldt*:" in text and "070 752 82 00" in text
    head = TEXTS[lang].get("elsewhere_head")
    assert text.startswith(whatsapp_text(head)) and text.startswith("*")
