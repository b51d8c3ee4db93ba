"""`stagemeld patterns rotate-key` and `retire-key`: a newer matching key, new reports
hashed under every kept key, and an older key shredded together with its hashes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.app import wiring
from bot.app.container import build_container
from bot.app.settings import Settings
from bot.intake.filing import file_draft
from dialogues import Draft
from storage.db.models import AuditEntry, PatternTag
from tests.support.harness import cli


def draft(name: str) -> Draft:
    return Draft(
        lang="nl", phase="during", story="Ze lachten om mijn accent.", grounds=("origin",),
        when="week", school="hhs", workplace=name, evidence="no", evidence_note="",
        wants="talk", visibility="school", danger=False, pattern_consent=True,
    )  # fmt: skip


async def tags(settings: Settings) -> list[str]:
    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            return sorted(await session.scalars(select(PatternTag.key_id)))
    finally:
        await container.close()


async def test_rotate_then_retire_the_old_key(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"
    container = await build_container(settings)
    try:
        await file_draft(wiring.filing(container), draft("Bol.com"))
    finally:
        await container.close()
    matching = settings.keys.dir / "matching"
    assert sorted(p.name for p in matching.iterdir()) == ["k1.key"]
    assert await tags(settings) == ["k1"]

    rotated = cli(config, "patterns", "rotate-key")
    assert rotated.returncode == 0 and "k2" in rotated.stdout, rotated.stderr
    container = await build_container(settings)
    try:
        assert container.matching is not None and container.matching.ids == ("k1", "k2")
        await file_draft(wiring.filing(container), draft("bol com"))  # hashed under both kept keys
    finally:
        await container.close()
    assert await tags(settings) == ["k1", "k1", "k2"]

    newest = cli(config, "patterns", "retire-key", "k2")
    assert newest.returncode == 1 and "newest" in newest.stderr
    retired = cli(config, "patterns", "retire-key", "k1")
    assert retired.returncode == 0 and "2 hash(es)" in retired.stdout, retired.stderr
    assert sorted(p.name for p in matching.iterdir()) == ["k2.key"]
    assert await tags(settings) == ["k2"]
    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            logged = await session.scalar(
                select(AuditEntry.detail).where(AuditEntry.action == "matching_key_retired")
            )
    finally:
        await container.close()
    assert logged == "k1:2"
