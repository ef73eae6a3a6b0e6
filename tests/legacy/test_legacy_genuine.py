"""legacy/ stays 2016-2018 code: its stack only, Python 3.7 syntax, no coroutines of its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LEGACY = Path(__file__).resolve().parents[2] / "legacy"
FILES = sorted(LEGACY.glob("*.py"))
# Python's standard library as the app uses it, and the 2018 stack: nothing newer. zope.interface
# comes with Twisted (every Twisted release requires it; ``@implementer`` declares interfaces).
ALLOWED = {"html", "json", "re", "tornado", "bson", "pymongo", "twisted", "zope", "motor"}


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            assert node.module is not None
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_imports_only_its_own_stack(path: Path) -> None:
    assert imported_packages(path) <= ALLOWED


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_native_coroutines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)
    assert not [type(n).__name__ for n in ast.walk(tree) if isinstance(n, kinds)]


def test_parses_as_python_3_7() -> None:
    # ruff reports syntax newer than the target version (walrus, match, except*, ...).
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--target-version", "py37"]
    command += ["--select", "E9", "--output-format", "concise", str(LEGACY)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, "All checks passed!")
