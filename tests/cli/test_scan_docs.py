"""The scan docs are true: recipes are scanned, the example report is current, ids are listed."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmigrate.__main__ import main
from asyncmigrate._scan import PATTERNS
from asyncmigrate._scan._visitor import scan_source

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "docs" / "recipes" / "index.md"
SCAN_PAGE = ROOT / "docs" / "cli" / "scan.md"
EXAMPLE = ROOT / "docs" / "cli" / "scan-example"
TAB = re.compile(
    r'^=== "(Legacy|Modern)"\n\n    ```python\n(.*?)\n    ```$', re.MULTILINE | re.DOTALL
)


def recipe_sections() -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    parts = re.split(r"^### (\S+)\n", RECIPES.read_text(encoding="utf-8"), flags=re.MULTILINE)
    for pid, body in zip(parts[1::2], parts[2::2], strict=True):
        tabs = {}
        for name, code in TAB.findall(body):
            tabs[name] = "\n".join(line.removeprefix("    ") for line in code.splitlines()) + "\n"
        sections[pid] = tabs
    return sections


SECTIONS = recipe_sections()


def test_every_pattern_has_one_recipe_in_catalogue_order() -> None:
    assert list(SECTIONS) == list(PATTERNS)
    assert all(set(tabs) == {"Legacy", "Modern"} for tabs in SECTIONS.values())


@pytest.mark.parametrize("pid", list(PATTERNS))
def test_recipe_legacy_is_found_and_modern_is_clean(pid: str) -> None:
    legacy = scan_source(f"{pid}-legacy.py", SECTIONS[pid]["Legacy"].encode())
    assert legacy.error is None
    assert pid in {f.pattern for f in legacy.findings}
    modern_source = SECTIONS[pid]["Modern"]
    compile(modern_source, f"{pid}-modern.py", "exec")
    modern = scan_source(f"{pid}-modern.py", modern_source.encode())
    assert modern.error is None
    assert modern.findings == []
    assert modern.legacy == {}


def test_hints_point_at_existing_recipe_anchors() -> None:
    for pattern in PATTERNS.values():
        page, anchor = pattern.recipe.split("#")
        assert (ROOT / page) == RECIPES
        assert anchor in SECTIONS


def test_scan_page_lists_every_pattern_with_its_recipe() -> None:
    text = SCAN_PAGE.read_text(encoding="utf-8")
    listed = re.findall(
        r"^\| \[`([a-z-]+)`\]\(\.\./recipes/index\.md#([a-z-]+)\)", text, re.MULTILINE
    )
    assert [pid for pid, _ in listed] == list(PATTERNS)
    assert all(pid == anchor for pid, anchor in listed)


def test_example_report_in_the_docs_is_current(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["scan", "docs/cli/scan-example"])
    assert code == 1
    assert capsys.readouterr().out == (EXAMPLE / "report.txt").read_text(encoding="utf-8")


def test_pre_commit_hooks_run_existing_commands() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the docs extra (mkdocs)")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"asyncmigrate-scan", "asyncmigrate-rewrite-check"}
    assert by_id["asyncmigrate-scan"]["entry"] == "asyncmigrate scan --no-progress"
    assert by_id["asyncmigrate-rewrite-check"]["entry"] == "asyncmigrate rewrite --check"
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["types"] == ["python"]
        assert hook["additional_dependencies"] == ["libcst>=1.5"]
    # Run each entry the way pre-commit does: the entry, then the staged file names.
    bin_dir = Path(sys.executable).parent

    def run_hook(hook_id: str, *files: Path) -> int:
        program, *args = shlex.split(by_id[hook_id]["entry"])
        argv = [str(bin_dir / program), *args, *map(str, files)]
        return subprocess.run(argv, capture_output=True, timeout=120, check=False).returncode

    assert run_hook("asyncmigrate-scan", EXAMPLE / "modern.py") == 0
    assert run_hook("asyncmigrate-scan", EXAMPLE / "modern.py", EXAMPLE / "legacy.py") == 1
    assert run_hook("asyncmigrate-rewrite-check", EXAMPLE / "modern.py") == 0
