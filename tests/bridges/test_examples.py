"""The examples included in docs/bridges/guide.md run, and print what the guide says."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

EXPECTED = {
    "bridges_quickstart.py": "localhost is 127.0.0.1\nEXAMPLE IS 127.0.0.1\n",
    "bridges_cancel.py": (
        "Twisted timeout on an asyncio task\nDeferred cancelled\nasyncio timeout on a Deferred\n"
    ),
    "bridges_coroutine.py": "hello before\nhello after\n",
    "bridges_threads.py": "price 3\nerror 'pear'\n",
    "bridges_tornado.py": "42\n",
}


def test_every_bridges_example_is_listed() -> None:
    assert {p.name for p in EXAMPLES.glob("bridges_*.py")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, python) -> None:
    proc = python(f"import runpy; runpy.run_path({str(EXAMPLES / name)!r}, run_name='__main__')")
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "", EXPECTED[name]), proc
