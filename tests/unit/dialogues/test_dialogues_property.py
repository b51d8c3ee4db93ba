"""Random conversations: taps on what is on screen mixed with noise (commands, huge,
unicode, right-to-left and zero-width texts, presses with random turns and values,
photos) and with the channel's answers (filed, failed, status results). Whatever
happens: nothing raises, every reply is non-empty Telegram-HTML within 4096 characters,
the state survives JSON, and an answer once given stays unless the student changed it
(or a change made its question no longer apply), started over or stopped."""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogues import (
    EVENTS,
    Attachment,
    CheckStatus,
    Command,
    DrawReceipt,
    Input,
    Outcome,
    Press,
    SendAttachment,
    SendReply,
    State,
    StatusExpired,
    StatusFound,
    StatusLocked,
    StatusNotFound,
    Submit,
    Text,
    ThreadEntry,
    Unsupported,
    Withdraw,
)
from dialogues.intents import normalise
from dialogues.repair import repair
from tests.support.dialogue_driver import ENGINE, check_outcome

COMMANDS = [
    "start", "report", "status", "withdraw", "help", "privacy", "language", "stop", "xyzzy",
    "START",
]  # fmt: skip
VALUES = [
    "yes", "no", "done", "next", "skip", "back", "submit", "edit", "stop", "erase", "keep",
    "privacy", "lang.nl", "lang.en", "resume.continue", "resume.restart", "go.report",
    "go.status", "edit.story", "edit.grounds", "hhs", "none", "origin", "looking", "school",
    "threat", "unknown", "haga", "mondriaan", "school_and_workplace", "submit.push",
    "status.reply", "status.withdraw", "status.close", "withdraw.yes", "withdraw.no",
    "reply.cancel", "edit.recognised", "edit.workplace", "receipt.saved", "receipt.back",
    "pause.on", "code.cancel", "add.story",
]  # fmt: skip
PHRASES = [
    "klaar", "done", "nee", "Ja", "hoe staat mijn melding ervoor", "ik wil stoppen", "stop",
    "hoi", "english please", "help", "is dit anoniem", "4821 0937 5521 8804",
    "4821-0937-5521-880", "<b>x</b> & <script>", "مرحبا، تعرضت للتمييز", "\u200b\u200b\u200b",
    "\u202egnirts desrever", "Zoë 👩🏽‍🎓 stage", "Opnieuw beginnen", "Stoppen", "Verder",
    "ik wil mijn melding intrekken", "heeft iemand gereageerd", "HagaZiekenhuis", "Reageren",
    "Ja, intrekken", "Annuleren", "Klaar", "terug", "Back", "Ik wil verder",
    "", "   ", "\n",
]  # fmt: skip
CHARS = ["x", "&", "<", "é", "😀", "\u200b", "ש", " "]

texts = st.one_of(
    st.sampled_from(PHRASES),
    st.text(max_size=300),
    st.builds(lambda c, n: c * n, st.sampled_from(CHARS), st.integers(0, 13_000)),
)
dates = st.dates(datetime.date(2024, 1, 1), datetime.date(2030, 12, 31))
entries = st.one_of(
    st.builds(ThreadEntry, st.sampled_from(["adviser", "student"]), texts, st.just(""), dates),
    st.builds(
        ThreadEntry,
        st.just("event"),
        st.just(""),
        st.one_of(st.sampled_from(EVENTS), st.text(max_size=10)),
        dates,
    ),
)
tokens = st.one_of(st.just(""), st.from_regex(r"\A[\x21-\x7e]{1,512}\Z"))
statuses = st.one_of(
    st.builds(
        StatusFound,
        st.sampled_from(["received", "in_progress", "waiting", "closed", "withdrawn", "odd"]),
        dates,
        st.text(max_size=30),
        st.lists(entries, max_size=12).map(tuple),
        tokens,
        st.one_of(st.none(), dates),
        st.booleans(),
        st.integers(0, 120),
    ),
    st.builds(StatusNotFound, st.integers(-1, 5)),
    st.builds(StatusLocked, st.integers(0, 60)),
    st.just(StatusExpired()),
)
KINDS = ["tap"] * 8 + ["story", "text", "cmd", "press", "media", "file"]
attachments = st.builds(
    Attachment,
    st.sampled_from(["photo", "document"]),
    st.one_of(st.just(""), st.text(min_size=1, max_size=40)),
    st.text(max_size=40),
    st.integers(-1, 12 * 1024 * 1024),
)
withdraw_results = st.one_of(
    st.sampled_from(["withdrawn", "expired", "failed"]),
    st.builds(StatusNotFound, st.integers(-1, 5)),
    st.builds(StatusLocked, st.integers(0, 60)),
)


def _input(data: st.DataObject, state: State | None, on_screen: list[Press]) -> Input:
    kind = data.draw(st.sampled_from(KINDS))
    if kind == "tap" and on_screen:
        return data.draw(st.sampled_from(on_screen))
    if kind == "story":
        return Text(data.draw(st.sampled_from(["Het gebeurde op maandag.", "Bakkerij X"])))
    if kind == "cmd":
        arg = data.draw(st.one_of(st.just(""), st.sampled_from(PHRASES), st.text(max_size=40)))
        return Command(data.draw(st.sampled_from(COMMANDS)), arg)
    if kind == "press":
        turn = data.draw(st.one_of(st.integers(-3, 10**12), st.just(state.turn if state else 0)))
        value = data.draw(st.one_of(st.sampled_from(VALUES), st.text(max_size=40)))
        return Press(turn, value)
    if kind == "media":
        return Unsupported(data.draw(st.sampled_from(["photo", "sticker", "voice", "video"])))
    if kind == "file":
        return data.draw(attachments)
    return Text(data.draw(texts))


def _is_stop(prev: State, inp: Input) -> bool:
    if isinstance(inp, Command):
        return inp.name.lower() == "stop"
    if isinstance(inp, Press):
        return inp.value == "stop"
    if isinstance(inp, Text):
        label = ENGINE.texts(prev.lang).get("btn_stop")
        return ENGINE.intents.match(inp.text) == "stop" or normalise(inp.text) == normalise(label)
    return False


def _check_nothing_lost(prev: State | None, inp: Input, out: Outcome) -> None:
    new = out.state
    if prev is None:
        return
    if isinstance(inp, Unsupported | Attachment) or (
        out.replies and out.replies[0].key == "button_stale"
    ):
        assert new == prev
        return
    had_content = bool(prev.answers or prev.story)
    if new is None:
        assert not had_content or _is_stop(prev, inp), inp
        return
    restarted = prev.menu == "resume" and new.answers == {} and new.story == ()
    if restarted:
        return
    # Only the answer to the question on screen changes; another one goes only when that
    # change means its question is no longer asked (evidence "no" drops the note, an hbo
    # school drops "recognised"); that it is asked again if it applies again, the repair
    # check in the test below makes sure (no summary while a question is owed).
    for key, value in prev.answers.items():
        if new.answers.get(key) != value:
            step = ENGINE.flow.step(key)
            dropped = key not in new.answers and (
                step is not None and not ENGINE.q.applies(step, new)
            )
            assert key == prev.step or dropped, (key, inp)
    if new.story != prev.story:
        assert prev.step == "story", inp
        if not prev.editing:
            assert new.story[: len(prev.story)] == prev.story


def _channel(out: Outcome, data: st.DataObject) -> Outcome | None:
    """What the channel does with an action, as it would: file, fail, or look up."""
    if isinstance(out.action, DrawReceipt) and out.state is not None:
        receipt = data.draw(st.from_regex(r"\A[0-9]{16}\Z"))
        again = data.draw(st.booleans())
        return ENGINE.receipt_drawn(out.state, receipt, push=out.action.push, again=again)
    if isinstance(out.action, Submit) and out.state is not None:
        assert out.action.receipt == out.state.receipt  # the code shown is the code filed
        if data.draw(st.booleans()):
            return ENGINE.submitted(out.state, reference="SM-2025-0001")
        return ENGINE.failure(out.state)
    if isinstance(out.action, CheckStatus):
        return ENGINE.status_result(out.state, data.draw(statuses))
    if isinstance(out.action, SendReply | SendAttachment):
        assert out.action.token and out.state is not None and out.state.token == out.action.token
        result = data.draw(st.sampled_from(["sent", "expired", "failed"]))
        return ENGINE.reply_result(out.state, result)  # type: ignore[arg-type]
    if isinstance(out.action, Withdraw):
        assert out.state is None or out.state.token == ""  # used once, then gone
        return ENGINE.withdraw_result(out.state, data.draw(withdraw_results))  # type: ignore[arg-type]
    return None


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_conversations_never_break_and_never_lose_answers(data: st.DataObject) -> None:
    hint = data.draw(st.sampled_from(["nl", "en-GB", "fr", None]))
    can_push = data.draw(st.booleans())
    state: State | None = None
    on_screen: list[Press] = []
    for _ in range(data.draw(st.integers(1, 60))):
        inp = _input(data, state, on_screen)
        out = ENGINE.handle(state, inp, lang_hint=hint, can_push=can_push)
        check_outcome(out)
        _check_nothing_lost(state, inp, out)
        followed = _channel(out, data)
        if followed is not None:
            check_outcome(followed)
            out = followed
        if out.state is not None:
            assert repair(out.state, ENGINE.q, ENGINE.answers) == out.state
            assert out.state.tidy() == out.state  # no token kept without a screen for it
        drawn = [Press(b.turn, b.value) for r in out.replies for row in r.buttons for b in row]
        if drawn:
            on_screen = drawn
        state = out.state


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(texts, st.sampled_from(["klaar"])), min_size=1, max_size=8))
def test_any_story_gives_a_summary_within_limits(parts: list[str]) -> None:
    state = State(
        step="story",
        turn=3,
        answers={"safety": "no", "phase": "other"},
    )
    for part in parts:
        out = ENGINE.handle(state, Text(part))
        check_outcome(out)
        assert out.state is not None
        if out.state.step != "story":  # "klaar": the story is told
            break
        state = out.state
    summary = ENGINE.summary.render(
        State(
            step="summary",
            turn=9,
            answers={
                "safety": "no",
                "phase": "other",
                "grounds": ("origin", "unknown"),
                "when": "week",
                "school": "none",
                "workplace": "&" * 200,
                "evidence": "yes",
                "evidence_note": "<" * 1000,
                "wants": "advice",
                "visibility": "network",
            },
            story=state.story or ("x",),
        )
    )
    assert len(summary.text) <= 4096
