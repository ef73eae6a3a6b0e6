"""`asyncmigrate rewrite` as a user runs it: diff, --write, --check, exit codes, JSON, safety."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmigrate.__main__ import main

LEGACY = """\
from tornado import gen


@gen.coroutine
def get(client):
    # keep me
    row = yield client.find()
    raise gen.Return(row)
"""

CONVERTED = """\
async def get(client):
    # keep me
    row = await client.find()
    return row
"""

TRAPPED = """\
from tornado import gen


@gen.coroutine
def swallow(client):
    try:
        raise gen.Return(1)
    except Exception:
        pass
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["rewrite", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(LEGACY, encoding="utf-8")
    (tmp_path / "trapped.py").write_text(TRAPPED, encoding="utf-8")
    (tmp_path / "clean.py").write_text("async def f():\n    return 1\n", encoding="utf-8")
    return tmp_path


def test_default_is_a_unified_diff_and_changes_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, str(tree))
    assert code == 0
    app = str(tree / "app.py").lstrip("/")
    assert out.startswith(f"--- a/{app}\n+++ b/{app}\n@@ ")
    assert "-@gen.coroutine\n" in out
    assert "+async def get(client):\n" in out
    assert "+    return row\n" in out
    assert (tree / "app.py").read_text() == LEGACY
    assert f"{tree / 'trapped.py'}:7: return-swallowed: " in err
    assert "1 file(s) would be rewritten, 1 function(s) converted, 1 trap(s) left unchanged" in err


def test_write_applies_and_keeps_the_mode(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(tree / "app.py", 0o640)
    code, out, err = run(capsys, "--write", str(tree))
    assert code == 0
    assert out == ""
    assert (tree / "app.py").read_text() == CONVERTED
    assert stat.S_IMODE((tree / "app.py").stat().st_mode) == 0o640
    assert (tree / "trapped.py").read_text() == TRAPPED
    assert sorted(p.name for p in tree.iterdir()) == ["app.py", "clean.py", "trapped.py"]
    assert "1 file(s) rewritten" in err
    # idempotent: nothing left to do
    assert run(capsys, "--check", str(tree))[0] == 0


def test_check_exits_1_when_something_would_change(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--check", str(tree))
    assert code == 1
    assert out == ""
    assert (tree / "app.py").read_text() == LEGACY
    assert run(capsys, "--check", str(tree / "clean.py"))[0] == 0
    assert run(capsys, "--check", str(tree / "trapped.py"))[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "coroutine,nope"], "unknown conversion id(s): nope"),
        (["--ignore", "bogus"], "unknown conversion id(s): bogus"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_usage_errors_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv, str(tree))
    assert code == 2
    assert message in err
    assert (tree / "app.py").read_text() == LEGACY


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path / "nope"))
    assert code == 2
    assert "no such file or folder" in err


def test_write_and_check_together_is_a_usage_error(tree: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["rewrite", "--write", "--check", str(tree)])
    assert info.value.code == 2


def test_select_and_ignore(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--check", "--select", "inline-callbacks", str(tree))[0] == 0
    assert run(capsys, "--check", "--ignore", "coroutine", str(tree))[0] == 0
    assert run(capsys, "--check", "--select", "coroutine,gen-test", str(tree))[0] == 1


def test_json_report(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--format", "json", str(tree))
    assert code == 0
    assert err == ""
    report = json.loads(out)
    assert report["version"] == 1
    assert report["mode"] == "diff"
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert files["app.py"]["status"] == "success"
    assert files["app.py"]["changed"] is True
    assert "+async def get(client):" in files["app.py"]["diff"]
    assert files["clean.py"]["status"] == "skip"
    assert report["converted"] == [
        {"path": str(tree / "app.py"), "line": 5, "name": "get", "conversion": "coroutine"}
    ]
    assert report["traps"] == [
        {
            "path": str(tree / "trapped.py"),
            "line": 7,
            "id": "return-swallowed",
            "reason": report["traps"][0]["reason"],
            "converted": False,
        }
    ]
    assert report["summary"] == {
        "files": 3,
        "changed": 1,
        "converted": 1,
        "traps": 1,
        "failures": 0,
    }


def test_a_file_that_does_not_parse_is_skipped_with_its_reason(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = 'from tornado import gen\n\n@gen.coroutine\ndef f():\n    print "py2"\n'
    (tree / "broken.py").write_text(broken)
    code, _, err = run(capsys, "--write", str(tree))
    assert code == 0
    assert (tree / "broken.py").read_text() == broken
    assert f"{tree / 'broken.py'}: skipped: does not compile under this Python" in err
    assert (tree / "app.py").read_text() == CONVERTED


def test_encoding_and_crlf_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (
        "# -*- coding: latin-1 -*-\r\nfrom tornado import gen\r\n\r\n\r\n"
        "@gen.coroutine\r\ndef f(c):\r\n    s = 'caf\xe9'\r\n    yield c.put(s)\r\n"
    )
    (tmp_path / "old.py").write_bytes(source.encode("latin-1"))
    assert run(capsys, "--write", str(tmp_path))[0] == 0
    data = (tmp_path / "old.py").read_bytes()
    assert data.decode("latin-1") == (
        "# -*- coding: latin-1 -*-\r\n\r\n\r\n"
        "async def f(c):\r\n    s = 'caf\xe9'\r\n    await c.put(s)\r\n"
    )


def test_unwritable_file_is_reported_and_left_intact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "app.py").write_text(LEGACY)
    os.chmod(folder, 0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root): cannot test this")
        code, _, err = run(capsys, "--write", str(folder))
    finally:
        os.chmod(folder, 0o755)
    assert code == 1
    assert "not written" in err
    assert (folder / "app.py").read_text() == LEGACY
    assert sorted(p.name for p in folder.iterdir()) == ["app.py"]


def test_console_script(tree: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "asyncmigrate", "rewrite", "--check", str(tree)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "would be rewritten" in proc.stderr


def test_a_failed_write_leaves_the_original_and_no_temp_file(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk in the middle of a write (fault injected at fsync) loses nothing."""
    import errno

    from asyncmigrate._rewrite import _driver

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_driver.os, "fsync", disk_full)
    code, _, err = run(capsys, "--write", str(tree))
    assert code == 1
    assert f"{tree / 'app.py'}: not written: No space left on device" in err
    assert (tree / "app.py").read_text() == LEGACY
    assert sorted(p.name for p in tree.iterdir()) == ["app.py", "clean.py", "trapped.py"]


def test_nothing_to_convert_does_not_import_libcst(tmp_path: Path) -> None:
    """`rewrite --check` on migrated code (pre-commit) never pays for importing LibCST."""
    (tmp_path / "clean.py").write_text("async def f():\n    return 1\n")
    code = (
        "import sys\nfrom asyncmigrate.__main__ import main\n"
        f"assert main(['rewrite', '--check', {str(tmp_path)!r}]) == 0\n"
        "assert 'libcst' not in sys.modules, 'libcst was imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_decorator_table_matches_the_rules() -> None:
    from asyncmigrate._rewrite._module import RULES
    from asyncmigrate._rewrite._source import CONVERSIONS, DECORATORS

    assert {name: r.conversion for r in RULES for name in r.decorators} == DECORATORS
    assert set(CONVERSIONS) == {r.conversion for r in RULES}
