"""The service's start-up modules leave the heavy, rarely used libraries unimported.

An idle `stagemeld run` holds every module it imported at start. Charts (matplotlib,
numpy), the PDFs (fpdf2, fontTools), the spreadsheet (openpyxl), a student's file
(Pillow, pypdf) and Telegram (aiogram, when it is off) are imported where they are used;
one module-level import anywhere on the start-up path puts them back (docs/performance.md,
"Idle memory"). A fresh interpreter, so what this test process imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

START_UP = ("bot.app.cli", "bot.app.runtime", "bot.app.routes", "bot.app.container")
LAZY = ("matplotlib", "numpy", "fpdf", "fontTools", "openpyxl", "PIL", "pypdf", "aiogram")

PROBE = f"""
import importlib, json, sys
for name in {START_UP!r}:
    importlib.import_module(name)
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({LAZY!r}))))
"""


def test_start_up_imports_none_of_the_heavy_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
