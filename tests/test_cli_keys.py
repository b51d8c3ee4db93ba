"""`stagemeld keys init` and `stagemeld adviser add`, and what they make possible:
an adviser who unlocks their key with their passphrase reads a report sealed to them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.reporting import file_draft
from bot.services import build_services
from dialogues import Draft
from storage.crypto import private_key_from_text

PASSPHRASE = "een lange wachtzin voor de vertrouwenspersoon"


def cli(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=config.parent,
        check=False,
    )


def draft(**changes: object) -> Draft:
    values: dict[str, object] = {
        "lang": "nl", "phase": "during", "story": "Ze lachten om mijn accent.",
        "grounds": ("origin",), "when": "week", "school": "hhs", "workplace": "Firma X",
        "evidence": "no", "evidence_note": "", "wants": "talk", "visibility": "school",
        "danger": False,
    }  # fmt: skip
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


async def test_keys_then_adviser_then_the_adviser_reads_the_report(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"

    init = cli(config, "keys", "init")
    assert init.returncode == 0, init.stderr
    recovery_text = next(
        line for line in init.stdout.splitlines() if line.startswith("stagemeld-recovery-key-v1")
    )
    again = cli(config, "keys", "init")
    assert again.returncode == 1 and "already exist" in again.stderr

    add = ("adviser", "add", "--passphrase-stdin", "--adviser")
    short = cli(config, *add, "hhs-vp", stdin="kort\n")
    assert short.returncode == 2 and "at least 12" in short.stderr
    unknown = cli(config, *add, "nobody", stdin=PASSPHRASE + "\n")
    assert unknown.returncode == 2 and "no adviser nobody" in unknown.stderr
    added = cli(config, *add, "hhs-vp", stdin=PASSPHRASE + "\n")
    assert added.returncode == 0, added.stderr

    services = await build_services(settings)
    try:
        filed = await file_draft(services, draft())
        assert await services.advisers.unlock("hhs-vp", "verkeerde wachtzin") is None
        key = await services.advisers.unlock("hhs-vp", PASSPHRASE)
        assert key is not None
        content = await services.reports.read_as_adviser(filed.report_id, "hhs-vp", key)
        assert content is not None and content["story"] == "Ze lachten om mijn accent."
        assert content["workplace"] == "Firma X"
        other = await services.reports.read_as_adviser(filed.report_id, "mondriaan-vp", key)
        assert other is None  # not routed to them
        recovered = await services.reports.read_with_recovery(
            filed.report_id, private_key_from_text(recovery_text)
        )
        assert recovered is not None and recovered["story"] == content["story"]
    finally:
        await services.close()
