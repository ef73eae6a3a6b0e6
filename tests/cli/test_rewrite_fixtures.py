"""`asyncmigrate rewrite` on before/after fixture pairs: every conversion and every trap.

``tests/cli/fixtures/rewrite/NAME.before.py.txt`` is rewritten (as ``NAME.py``, alone in a
folder, through the whole-tree driver) and must give ``NAME.after.py.txt`` exactly. A comment
``# trap: ID`` on a line of the before file says that trap must be reported on that line, and
no other trap may be. Each output must compile, and a second run must change nothing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from asyncmigrate._rewrite import Failure, Skip, Success, rewrite_paths

FIXTURES = Path(__file__).parent / "fixtures" / "rewrite"
NAMES = sorted(p.name.removesuffix(".before.py.txt") for p in FIXTURES.glob("*.before.py.txt"))
MARKER = re.compile(r"#.*\btrap: ([a-z-]+)")


def expected_traps(text: str) -> set[tuple[int, str]]:
    return {
        (number, match.group(1))
        for number, line in enumerate(text.splitlines(), start=1)
        if (match := MARKER.search(line))
    }


def rewrite(tmp_path: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    target = tmp_path / f"{name}.py"
    target.write_text(text, encoding="utf-8")
    return rewrite_paths([target], workers=1)


def test_there_are_fixtures_for_every_conversion_and_trap() -> None:
    from asyncmigrate._rewrite import CONVERSIONS, TRAPS

    marked = set()
    for name in NAMES:
        marked |= {
            trap for _, trap in expected_traps((FIXTURES / f"{name}.before.py.txt").read_text())
        }
    assert marked == set(TRAPS)
    converted = set()
    for name in NAMES:
        after = (FIXTURES / f"{name}.after.py.txt").read_text()
        before = (FIXTURES / f"{name}.before.py.txt").read_text()
        if after.count("async def") > before.count("async def"):
            converted.add(name)
    assert {"coroutine_basic", "gen_test", "inline_callbacks"} <= converted
    assert len(CONVERSIONS) == 3


@pytest.mark.parametrize("name", NAMES)
def test_fixture(tmp_path: Path, name: str) -> None:
    before = (FIXTURES / f"{name}.before.py.txt").read_text(encoding="utf-8")
    after = (FIXTURES / f"{name}.after.py.txt").read_text(encoding="utf-8")
    report = rewrite(tmp_path, name, before)
    [result] = report.results
    if isinstance(result, Success):
        assert result.new == after
        if result.changed:  # (trap_yield_comprehension is left as it was: it never compiled)
            compile(result.new, name, "exec", dont_inherit=True)
    else:
        assert isinstance(result, Failure | Skip)
        assert after == before, "a file that is skipped must be left exactly as it was"
        assert result.reason
    assert {(t.line, t.id) for t in report.traps} == expected_traps(before)
    for trap in report.traps:
        assert trap.path == str(tmp_path / f"{name}.py")
        assert trap.reason


@pytest.mark.parametrize("name", NAMES)
def test_second_run_changes_nothing(tmp_path: Path, name: str) -> None:
    after = (FIXTURES / f"{name}.after.py.txt").read_text(encoding="utf-8")
    report = rewrite(tmp_path, name, after)
    assert report.changed == []
    assert report.converted == []


def test_converted_function_lines_and_ids(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "aliases.before.py.txt", tmp_path / "aliases.py")
    report = rewrite_paths([tmp_path], workers=1)
    assert [(c.line, c.name, c.conversion) for c in report.converted] == [
        (9, "via_alias", "coroutine"),
        (15, "via_names", "coroutine"),
        (22, "via_module", "coroutine"),
        (28, "twisted_alias", "inline-callbacks"),
    ]


def test_select_and_ignore(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "aliases.before.py.txt", tmp_path / "aliases.py")
    only_twisted = rewrite_paths([tmp_path], selected=frozenset({"inline-callbacks"}), workers=1)
    assert [c.name for c in only_twisted.converted] == ["twisted_alias"]
    [result] = only_twisted.results
    assert isinstance(result, Success)
    assert "@g.coroutine\ndef via_alias" in result.new
    nothing = rewrite_paths([tmp_path], selected=frozenset(), workers=1)
    assert nothing.changed == []


def test_call_sites_in_another_file_block_the_conversion(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(
        "from tornado import gen\n\n\n@gen.coroutine\ndef ping(c):\n    yield c.ping()\n"
    )
    (tmp_path / "user.py").write_text("import lib\n\n\ndef go(c):\n    lib.ping(c)\n")
    report = rewrite_paths([tmp_path], workers=1)
    assert report.converted == []
    assert {(Path(t.path).name, t.line, t.id) for t in report.traps} == {
        ("lib.py", 5, "not-awaited"),
        ("user.py", 5, "not-awaited"),
    }
    (tmp_path / "user.py").write_text("import lib\n\n\nasync def go(c):\n    await lib.ping(c)\n")
    report = rewrite_paths([tmp_path], workers=1)
    assert [c.name for c in report.converted] == ["ping"]


def test_worker_processes_give_the_same_result(tmp_path: Path) -> None:
    for name in NAMES:
        shutil.copy(FIXTURES / f"{name}.before.py.txt", tmp_path / f"{name}.py")
    alone = rewrite_paths([tmp_path], workers=1)
    pooled = rewrite_paths([tmp_path], workers=2)
    assert [getattr(r, "new", None) for r in alone.results] == [
        getattr(r, "new", None) for r in pooled.results
    ]
    assert alone.traps == pooled.traps


def test_workers_start_safely_while_other_threads_run(tmp_path: Path) -> None:
    """With other threads alive, forking could deadlock a worker (the child gets only the
    forking thread: locks the others held stay locked): the workers are spawned instead, with
    the same result."""
    import threading

    for name in ("coroutine_basic", "inline_callbacks", "nested", "aliases"):
        shutil.copy(FIXTURES / f"{name}.before.py.txt", tmp_path / f"{name}.py")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, args=(30,), daemon=True)
    other.start()
    try:
        report = rewrite_paths([tmp_path], workers=2)
    finally:
        stop.set()
        other.join()
    assert len(report.converted) == len(rewrite_paths([tmp_path], workers=1).converted) > 0
