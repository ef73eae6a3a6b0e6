"""The scan docs are true: recipes are scanned, the example report is current, ids are listed."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize("pid", list(PATTERNS))
def test_recipe_modern_snippet_imports_and_defines(pid: str) -> None:
    # Every name a modern snippet imports exists today (bridges, tornado, asyncio), and its
    # definitions run. The legacy snippets cannot all do that: several use APIs removed from
    # Tornado 6 and Python 3.11, which is the point of them.
    namespace: dict[str, object] = {"__name__": f"recipe_{pid.replace('-', '_')}"}
    exec(compile(SECTIONS[pid]["Modern"], f"{pid}-modern.py", "exec"), namespace)
    assert any(callable(value) for key, value in namespace.items() if not key.startswith("_"))


def recipe(pid: str, tab: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"recipe_{pid.replace('-', '_')}_{tab.lower()}"}
    exec(compile(SECTIONS[pid][tab], f"{pid}-{tab.lower()}.py", "exec"), namespace)
    return namespace


async def test_recipes_that_run_alone_give_the_legacy_answers() -> None:
    # gen-return: Tornado 6 still runs @gen.coroutine, so both forms run on this loop.
    legacy, modern = recipe("gen-return", "Legacy"), recipe("gen-return", "Modern")
    assert await legacy["total"]([1, 2, 3]) == await modern["total"]([1, 2, 3]) == 6

    # callback-parameter: the answer the callback got is the one the coroutine returns.
    answers: list[int] = []
    recipe("callback-parameter", "Legacy")["count_words"]("a b c", answers.append)
    assert answers == [await recipe("callback-parameter", "Modern")["count_words"]("a b c")]

    # generator-send: the class gives the running averages the generator sent back.
    legacy_avg = recipe("generator-send", "Legacy")["avg"]
    modern_avg = recipe("generator-send", "Modern")["Averager"]()
    values = [10, 20, 60]
    assert [legacy_avg.send(v) for v in values] == [modern_avg.add(v) for v in values]

    # return-future: removed from Tornado 6, so only the modern form runs.
    assert await recipe("return-future", "Modern")["double"](21) == 42
