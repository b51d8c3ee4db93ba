"""Tests share helpers through conftest.py and the helper modules in tests/support/, never
by importing a test module: importing one runs its module-level code and re-collects its
fixtures in the importer, and moving a test then breaks unrelated files."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import tier_of

TESTS = Path(__file__).resolve().parents[1]  # tests/, every tier and tests/support/


def _imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module] if node.level == 0 else [f".{module}"]
            # `from tests.unit import test_x` and `from . import test_x` name the module last
            if module == "tests" or module.startswith("tests.") or node.level > 0:
                names += [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [n for n in names if n.rsplit(".", 1)[-1].startswith("test_")]
    return found


def test_no_module_imports_a_test_module() -> None:
    offenders = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("*.py"))
        if (names := _imported_test_modules(path))
    }
    assert offenders == {}, f"move the shared helpers into a module in tests/support/: {offenders}"


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    forms = [
        "from tests.test_telegram_e2e import TOKEN",
        "import tests.test_cli_keys",
        "from tests import test_cli_keys",
        "from tests.system.processes import test_cli_keys",
        "from .test_cli_keys import cli",
        "from . import test_cli_keys",
    ]
    for form in forms:
        sample.write_text(form + "\n", encoding="utf-8")
        assert _imported_test_modules(sample), form
    sample.write_text("from tests.support.harness import TOKEN\nimport pytest\n", encoding="utf-8")
    assert _imported_test_modules(sample) == []


def test_every_test_file_lives_in_a_tier() -> None:
    """A test left beside the tiers would get no tier marker, and `make test-fast` and
    `-m unit` would silently skip it."""
    outside = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("test_*.py"))
        if tier_of(path) is None
    ]
    assert outside == [], f"move into tests/unit/, tests/integration/ or tests/system/: {outside}"
