"""Hypothesis strategies for whole Bot API updates, built from the spec's types
(standins/botapi/api.json) rather than by hand, so every kind of content the API can
carry — photos, polls, stories, giveaways, payments, forwarded origins … — turns up.

An object gets its required fields and a few optional ones; deeper down only the required
ones, so the values stay small. Strings are drawn from hostile text: markup meant to break
formatting, zero-width and right-to-left characters, control characters, texts at and
over Telegram's limits. The chats are a few fixed ones — private, group, supergroup and
channel — so a test can tell them apart; the chat under watch (`WATCHED`) is never drawn.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from hypothesis import strategies as st

from standins.spec import FieldSpec, load_spec

SPEC = load_spec()
PRIVATE = (1, 2, 3)
WATCHED = 99  # a student mid-report; no drawn update may touch them
CHATS: dict[int, dict[str, Any]] = {
    **{i: {"id": i, "type": "private", "first_name": "Fuzz"} for i in PRIVATE},
    -5: {"id": -5, "type": "group", "title": "Klas 3B"},
    -1001234: {"id": -1001234, "type": "supergroup", "title": "Stagiairs", "is_forum": True},
    -1009999: {"id": -1009999, "type": "channel", "title": "Nieuws"},
}
_ALWAYS = re.compile(r'always "([^"]+)"')
MAX_DEPTH = 3

NASTY = (
    "<b>vet",
    "</i>",
    "<a href='javascript:alert(1)'>klik</a>",
    '<tg-spoiler><script>x</script>"',
    "&amp;&lt;&#0;&#x110000;&bogus;",
    "*vet* _schuin_ `code` [link](http://x) ~~door~~ ||spoiler||",
    "\\*\\_\\`",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u202eevil\u202c \u202b\u05e9\u05dc\u05d5\u05dd\u202c \u0645\u0631\u062d\u0628\u0627",
    "\x00\x01\x07\x08\x1b[31m\x7f\u0085\u2028\u2029",
    "\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67 Z\u0351\u0352\u0353",
    "/start@stagemeld_test_bot extra",
    "/status 1234 5678 9012 3456",
    "/status ١٢٣٤ ٥٦٧٨ ٩٠١٢ ٣٤٥٦",
    "b:999999:submit",
    "b:-1:" + "x" * 40,
    "a" * 4096,
    "é" * 4097,
    "😀" * 2049,
    "",
    " ",
)


def hostile_text() -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
    return st.lists(pieces, min_size=1, max_size=3).map("".join)


def _primitive(name: str) -> st.SearchStrategy[Any]:
    if name == "Integer":
        return st.one_of(st.integers(-(2**31), 2**31), st.integers(-(2**52), 2**52))
    if name == "Float":
        return st.floats(-1e6, 1e6, allow_nan=False)
    if name in ("Boolean", "True"):
        return st.booleans() if name == "Boolean" else st.just(True)
    return hostile_text()


def _value(expr: str, depth: int) -> st.SearchStrategy[Any]:
    if expr.startswith("Array of "):
        inner = expr[len("Array of ") :]
        return st.lists(_value(inner, depth + 1), max_size=2 if depth < MAX_DEPTH else 0)
    if expr in SPEC.types:
        return st.deferred(lambda: object_of(expr, depth + 1))
    return _primitive(expr)


def _field(spec: FieldSpec, depth: int) -> st.SearchStrategy[Any]:
    if m := _ALWAYS.search(spec.description):  # a union's discriminator
        return st.just(m.group(1))
    if spec.types == ("Integer",) and "Unix time" in spec.description:
        return st.integers(0, 2**31 - 1)
    if spec.rules.choices:
        return st.sampled_from(spec.rules.choices)
    return st.one_of(*(_value(t, depth) for t in spec.types))


@cache
def object_of(name: str, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    spec = SPEC.types[name]
    if spec.is_union:
        subtypes = spec.subtypes if depth < MAX_DEPTH else spec.subtypes[:1]
        return st.one_of(*(_value(s, depth - 1) for s in subtypes))  # may be "String" too
    required = {n: _field(f, depth) for n, f in spec.fields.items() if f.required}
    optional = sorted(n for n, f in spec.fields.items() if not f.required)
    if depth >= MAX_DEPTH or not optional:
        return st.fixed_dictionaries(required)
    few = st.sets(st.sampled_from(optional), max_size=3 if depth < 2 else 1)
    return few.flatmap(
        lambda names: st.fixed_dictionaries(
            {**required, **{n: _field(spec.fields[n], depth) for n in sorted(names)}}
        )
    )


def chats() -> st.SearchStrategy[int]:
    """Private chats most of the time, as in life; groups and channels often enough."""
    others = sorted(set(CHATS) - set(PRIVATE))
    return st.one_of(st.sampled_from(PRIVATE), st.sampled_from(PRIVATE), st.sampled_from(others))


def _in_chat(message: dict[str, Any], chat_id: int) -> dict[str, Any]:
    message = {**message, "chat": CHATS[chat_id]}
    if CHATS[chat_id]["type"] != "channel" and "from" not in message:
        message["from"] = {"id": abs(chat_id) + 1000, "is_bot": False, "first_name": "Fuzz"}
    return message


@st.composite
def messages(draw: st.DrawFn, *, channel: bool = False) -> dict[str, Any]:
    chat_id = -1009999 if channel else draw(chats())
    message = draw(object_of("Message", 0))
    if draw(st.booleans()):  # half of them the plain text most students send
        message["text"] = draw(hostile_text())
        message.pop("entities", None)
    return _in_chat(message, chat_id)


@st.composite
def callback_queries(draw: st.DrawFn) -> dict[str, Any]:
    query = draw(object_of("CallbackQuery", 0))
    query["id"] = str(draw(st.integers(1, 2**63)))  # Telegram's ids are never empty
    chat_id = draw(chats())
    if draw(st.booleans()):
        query["message"] = _in_chat(draw(object_of("Message", 1)), chat_id)
    else:
        query["message"] = {"chat": CHATS[chat_id], "message_id": 1, "date": 0}
    turn = draw(st.integers(-2, 40))
    value = draw(st.sampled_from(["no", "yes", "submit", "erase", "next", "resume.continue"]))
    query["data"] = draw(
        st.one_of(st.just(f"b:{turn}:{value}"), hostile_text().map(lambda t: t[:64]))
    )
    return query


KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "callback_query")


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    """One update, of one kind, in one of the fixed chats."""
    kind = draw(st.one_of(st.sampled_from(("message", "callback_query")), st.sampled_from(KINDS)))
    if kind == "callback_query":
        body: dict[str, Any] = draw(callback_queries())
    else:
        body = draw(messages(channel="channel" in kind))
    return {"update_id": draw(st.integers(1, 2**31)), kind: body}
