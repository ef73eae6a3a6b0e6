"""The app pages include code from the real files; a line range must still cover whole definitions.

``docs/apps/*.md`` and ``docs/demo.md`` include ``legacy/`` code by line range (legacy code keeps
no snippet markers: it is written as in 2017) and ``modern/`` code by named section. A range that
no longer starts at a top-level definition (decorators included) or no longer ends where one
ends would show half a function after an edit: this test fails first.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs" / "apps").glob("*.md")), ROOT / "docs" / "demo.md"]
INCLUDE = re.compile(r'--8<-- "([^"]+)"')


def includes():
    for page in PAGES:
        for target in INCLUDE.findall(page.read_text()):
            yield pytest.param(page.name, target, id=f"{page.name}:{target}")


def definitions(path: Path) -> tuple[set[int], set[int]]:
    tree = ast.parse(path.read_text())
    starts, ends = set(), set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            starts.add(min([node.lineno, *(d.lineno for d in node.decorator_list)]))
            ends.add(node.end_lineno)
    return starts, ends


def test_the_pages_include_code():
    assert len(list(includes())) >= 10


@pytest.mark.parametrize(("page", "target"), list(includes()))
def test_include_covers_whole_definitions(page, target):
    path, _, selector = target.partition(":")
    source = ROOT / path
    assert source.is_file(), target
    if re.fullmatch(r"\d+:\d+", selector):
        first, last = map(int, selector.split(":"))
        starts, ends = definitions(source)
        assert first in starts, f"{page}: {target} does not start at a definition"
        assert last in ends, f"{page}: {target} does not end where a definition ends"
    else:
        text = source.read_text()
        assert f"# --8<-- [start:{selector}]" in text, target
        assert f"# --8<-- [end:{selector}]" in text, target
