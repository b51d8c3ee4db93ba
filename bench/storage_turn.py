"""What a conversation turn costs the storage alone: load and save, with the marker.

    .venv/bin/python -m bench.storage_turn [--database-url URL] [--chats 300]

One process, no Telegram, no dialogue: a draft is loaded and saved with its update's
seen-once marker (as `OncePerUpdate` and `ConversationStore` do in a turn), three times
for each of `--chats` chats, after a warm-up. Prints wall and CPU time per turn. It showed
(docs/performance.md) that SQLAlchemy compiled the dialects' upserts anew every time:
a turn's storage must not cost more CPU than its statements.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from storage.crypto.draft_keys import DraftKeys
from storage.db.engine import make_engine, migrate, session_factory
from storage.repositories.conversations import ChatRef, ConversationStore
from storage.repositories.updates import UpdateLog

ROUNDS = 3
DRAFT = {"v": 1, "engine": {"step": "story", "answers": {"story": "x" * 200}}, "channel": {}}


async def measure(database_url: str | None, chats: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per turn."""
    workdir = Path(tempfile.mkdtemp(prefix="stagemeld-storage-turn-"))
    engine = make_engine(database_url or f"sqlite+aiosqlite:///{workdir / 'turns.db'}")
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        store, log = ConversationStore(sessions, DraftKeys(workdir / "keys")), UpdateLog(sessions)
        refs = [ChatRef(f"{i:064x}", str(i).encode()) for i in range(chats)]
        update = int(time.time()) * 1000

        async def turn(chat: ChatRef) -> None:
            nonlocal update
            update += 1
            with log.pending("telegram", update):
                await store.load(chat)
                await store.save(chat, DRAFT)

        for chat in refs[:20]:
            await turn(chat)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(ROUNDS):
            for chat in refs:
                await turn(chat)
        n = ROUNDS * len(refs)
        return (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000
    finally:
        await engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--chats", type=int, default=300)
    args = parser.parse_args()
    wall, cpu = asyncio.run(measure(args.database_url, args.chats))
    print(f"storage per turn: {wall:.2f} ms wall, {cpu:.2f} ms CPU")


if __name__ == "__main__":
    main()
