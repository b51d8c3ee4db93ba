"""A filed conversation leaves nothing that opens — no draft version, no receipt, no row
linking the chat to the report, no token naming it.

The whole conversation runs through `Turns` on a real container (SQLite); after every
turn the test keeps the conversation row's blob, as a copy of the WAL would."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.app import wiring
from bot.app.container import Container, build_container
from bot.app.settings import Settings
from bot.intake.filing import file_draft
from bot.intake.reply_token import TTL, make_token, read_token
from bot.intake.turns import TurnResult
from bot.intake.visits import GRACE, Visits
from dialogues import Command, Draft, Input, Press, Text
from storage.crypto import aead, ephemeral, sealed_drafts, server_key
from storage.db.models import Conversation
from storage.repositories.conversations import ChatRef
from tests.support.storage_helpers import opens_under_the_old_draft_scheme

CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")

STORY = "MARKER-story: de manager zei dat mijn hoofddoek niet paste."
# What the student taps, first match wins (the grounds' "religion" once, then "next").
PREFERENCE = (
    "no",
    "interview",
    "done",
    "religion",
    "next",
    "month",
    "hhs",
    "skip",
    "talk",
    "school",
    "submit",
    "receipt.saved",
)


def _buttons(result: TurnResult) -> list[tuple[str, int]]:
    return [(b.value, b.turn) for r in result.replies for row in r.buttons for b in row]


async def _blob(container: Container, chat: ChatRef) -> bytes | None:
    async with container.sessions() as session:
        return await session.scalar(  # type: ignore[no-any-return]
            select(Conversation.blob).where(Conversation.chat_key == chat.key)
        )


async def _rows(container: Container) -> int:
    async with container.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Conversation)) or 0)


def _opens(container: Container, chat: ChatRef, blob: bytes) -> bool:
    """With everything in keys.dir now, and the chat id: the server key's old scheme,
    and every draft key file there is."""
    if opens_under_the_old_draft_scheme(container.keys, blob, chat.key):
        return True
    drafts = container.keys.dir / "drafts"
    for path in drafts.iterdir() if drafts.is_dir() else ():
        key = sealed_drafts.draft_key(path.read_bytes(), chat.key, chat.secret)
        try:
            sealed_drafts.open_draft(key, blob, chat_key=chat.key)
            return True
        except aead.CryptoError:
            continue
    return False


async def test_after_filing_no_row_no_version_and_no_receipt_opens(
    make_settings: Callable[..., Settings],
) -> None:
    """Every version of the draft (the code on the receipt screen among them) opened
    while the conversation lived; after "I have saved it" the conversation row is gone,
    its key file is gone, and none of the versions opens with the copied keys.dir and
    the chat id. The code is nowhere in the database files."""
    settings = make_settings()
    container = await build_container(settings)
    try:
        turns = wiring.turns(container)
        chat = turns.chat_key("telegram", "4242")
        versions: list[bytes] = []
        pressed: set[str] = set()
        code = ""
        inp: Input = Command("start")
        filed: TurnResult | None = None
        for _ in range(40):
            result = await turns.run(chat, inp)
            blob = await _blob(container, chat)
            if blob is not None:
                versions.append(blob)
            for reply in result.replies:
                found = CODE.search(reply.text)
                if reply.key == "receipt" and found:
                    code = found.group(0)
            if any(r.key == "filed" for r in result.replies):
                filed = result
                break
            offered = dict(_buttons(result))
            choice = next(
                (v for v in PREFERENCE if v in offered and not (v == "religion" and v in pressed)),
                None,
            )
            if choice is None:
                inp = Text(STORY)
                continue
            pressed.add(choice)
            inp = Press(offered[choice], choice)
        assert filed is not None, "never filed"
        digits = code.replace(" ", "")
        assert len(digits) == 16 and digits.isdigit(), code
        assert len(versions) > 10
        assert await _rows(container) == 0  # no row for the chat after filing
        assert not (container.keys.dir / "drafts" / chat.key).exists()
        assert not any(_opens(container, chat, v) for v in versions)  # no version opens
        db = Path(settings.database.url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            path = db.with_name(db.name + suffix)
            if not path.exists():
                continue
            raw = path.read_bytes()
            assert digits.encode() not in raw and code.encode() not in raw
            assert b"MARKER-story" not in raw
        # the buttons under "filed" work with nothing stored
        (erase,) = [(v, t) for v, t in _buttons(filed) if v == "erase"]
        erased = await turns.run(chat, Press(erase[1], "erase"))
        assert erased.erase_chat and await _rows(container) == 0
        # a status check leaves no row: the report the visit opened is held
        # in memory only, with the view's state; /stop closes it there too
        view = await turns.run(chat, Command("status", digits))
        assert any(r.key == "status_received" for r in view.replies)
        assert await _rows(container) == 0 and len(container.visits) == 1
        close = dict(_buttons(view))["status.close"]
        closed = await turns.run(chat, Press(close, "status.close"))
        assert await _rows(container) == 0
        locked = await turns.run(chat, Command("stop"))
        assert [r.key for r in locked.replies] == ["locked"]
        assert await _rows(container) == 0 and len(container.visits) == 0
        assert not (container.keys.dir / "drafts" / chat.key).exists()
        go = dict(_buttons(closed)).get("go.report")
        if go is not None:  # the idle help's buttons work with nothing stored
            again = await turns.run(chat, Press(go, "go.report"))
            assert any(r.key == "welcome" for r in again.replies)
    finally:
        await container.close()


async def test_a_version_written_while_the_draft_lived_did_open(
    make_settings: Callable[..., Settings],
) -> None:
    """The control for the test above: before the end, the same copy (keys.dir + chat
    id) opens the draft — the documented limit for unfinished drafts."""
    container = await build_container(make_settings())
    try:
        turns = wiring.turns(container)
        chat = turns.chat_key("telegram", "4242")
        await turns.run(chat, Command("start"))
        blob = await _blob(container, chat)
        assert blob is not None and _opens(container, chat, blob)
        assert not _opens(container, ChatRef(chat.key, b"4243"), blob)  # needs the chat id
        await turns.run(chat, Command("stop"))
        await turns.run(chat, Command("start"))
        await turns.forget(chat)
        assert not _opens(container, chat, blob)
    finally:
        await container.close()


def test_a_reply_token_does_not_open_in_a_new_process() -> None:
    """The reply token (a report id) is sealed with a key drawn per process and never
    written: neither keys.dir's server key nor a restarted service opens it."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    this_process = ephemeral.EphemeralKey()
    token = make_token(this_process, "report-123", now)
    assert read_token(this_process, token, now) == "report-123"
    assert read_token(ephemeral.EphemeralKey(), token, now) is None  # after a restart
    server = server_key.ServerKey(b"k" * 32)
    sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for purpose in ("reply-token", "ephemeral"):
        try:
            server.open_value(sealed, purpose=purpose)
        except aead.CryptoError:
            continue
        raise AssertionError("the server key opened a reply token")


DRAFT = Draft(
    lang="nl", phase="during", story="MARKER-story", grounds=("origin",), when="week",
    school="hhs", workplace="", evidence="no", evidence_note="", wants="talk",
    visibility="school", danger=False,
)  # fmt: skip


def _keys(result: TurnResult) -> list[str]:
    return [r.key for r in result.replies]


async def test_the_visit_keeps_the_report_open_until_idle_or_a_restart(
    make_settings: Callable[..., Settings],
) -> None:
    """The code once per visit. Each message moves the 30 minutes on; 30 minutes without
    one, or a restart (a new ephemeral key), and the code is asked again: after the 30
    minutes the student is told why; after a restart (nothing in memory) simply
    asked."""
    container = await build_container(make_settings())
    try:
        now = [datetime.now(UTC)]
        container.reports.clock = lambda: now[0]
        container.visits.clock = lambda: now[0]
        turns = wiring.turns(container)
        chat = turns.chat_key("telegram", "5151")
        code = container.reports.draw_receipt()
        await file_draft(wiring.filing(container), DRAFT, receipt=code)
        assert _keys(await turns.run(chat, Command("status", code))) == ["status_received"]
        for _ in range(3):  # 60 minutes after the code, never 30 idle
            now[0] += TTL - timedelta(minutes=10)
            assert _keys(await turns.run(chat, Command("status"))) == ["status_received"]
        now[0] += TTL + timedelta(minutes=1)
        assert _keys(await turns.run(chat, Command("status"))) == ["unlock_expired"]
        assert _keys(await turns.run(chat, Text(code))) == ["status_received"]
        container.ephemeral = ephemeral.EphemeralKey()  # the service restarted: a new key,
        container.visits = Visits(container.visits.clock)  # and nothing in memory
        turns = wiring.turns(container)  # built again, as the restarted service does
        assert _keys(await turns.run(chat, Command("status"))) == ["ask_code"]
    finally:
        await container.close()


def test_open_visits_run_out_and_are_bounded() -> None:
    """Memory only, and not forever: gone after the token's time and the grace to say
    why; beyond the limit the oldest goes first (that student types the code again)."""
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    visits = Visits(lambda: now[0], limit=2)
    for chat_key in ("a", "b", "c"):
        visits.keep(chat_key, f"token-{chat_key}", None)
    assert visits.get("a") is None and visits.get("c") is not None and len(visits) == 2
    visits.keep("b", "token-b2", {"v": 1})  # touched again: its time starts over
    now[0] += TTL + GRACE - timedelta(seconds=1)
    kept = visits.get("b")
    assert kept is not None and kept.token == "token-b2" and kept.record == {"v": 1}
    now[0] += timedelta(seconds=1)
    assert visits.get("b") is None and len(visits) == 0
    visits.keep("d", "token-d", None)
    visits.forget("d")
    assert visits.get("d") is None
