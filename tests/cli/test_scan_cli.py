"""`asyncmigrate scan` as a user runs it: exit codes, the text report, usage errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asyncmigrate.__main__ import main

FIXTURES = Path(__file__).parent / "fixtures" / "scan"

LEGACY = """\
from tornado import gen


class Handler:
    @gen.coroutine
    def get(self):
        rows = yield [self.a(), self.b()]
        raise gen.Return(rows)

    async def post(self):
        return 1
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_tree_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"app.py": "async def main():\n    return 1\n", "util.py": "X = 1\n"})
    code, out, err = run(capsys, str(tmp_path))
    assert code == 0
    assert err == ""
    assert "no legacy async patterns" in out
    assert "Migration progress: 1 of 1 coroutine functions are native async def (100.0%)." in out
    assert "Scanned 2 files (1 parsed)" in out


def test_empty_tree_has_no_progress_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0
    assert "Migration progress: n/a (no coroutine functions, native or legacy)." in out


def test_legacy_tree_exits_1_with_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"pkg/handlers.py": LEGACY})
    code, out, err = run(capsys, str(tmp_path))
    assert code == 1
    assert err == ""
    path = str(tmp_path / "pkg" / "handlers.py")
    lines = out.splitlines()
    assert lines[0] == (
        f"{path}:5:5: gen-coroutine: @gen.coroutine -> async def with await"
        " (recipe: docs/recipes/index.md#gen-coroutine)"
    )
    assert lines[1] == "    @gen.coroutine"
    assert f"{path}:7:16: yield-list: " in out
    assert f"{path}:8:9: gen-return: " in out
    # Tables by pattern and by module, then the figures.
    by_pattern = out[out.index("By pattern") : out.index("By module")]
    assert by_pattern.splitlines()[1].split() == [
        "pattern",
        "findings",
        "modules",
        "modern",
        "form",
    ]
    assert by_pattern.splitlines()[2].split()[:3] == ["gen-coroutine", "1", "1"]
    by_module = out[out.index("By module") : out.index("Migration progress")]
    assert by_module.splitlines()[2].split() == [path, "3", "1", "1", "50.0%"]
    assert (
        "Migration progress: 1 of 2 coroutine functions are native async def (50.0%);"
        " legacy: gen.coroutine 1." in out
    )
    assert out.rstrip().endswith(
        "Scanned 1 files (1 parsed): 3 findings of 3 patterns in 1 modules."
    )


def test_unparsable_files_are_reported_and_the_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"a_broken.py": "import tornado\nprint 'x'\n", "b_legacy.py": LEGACY})
    (tmp_path / "c_latin1.py").write_bytes(b"import tornado\nNAME = '\xe9'\n")
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert "b_legacy.py:5:5: gen-coroutine" in out
    assert "Could not parse (2 files; the scan went on without them)" in out
    assert f"{tmp_path / 'a_broken.py'}:2: syntax error: " in out
    assert "(the file looks like Python 2 only code)" in out
    assert f"{tmp_path / 'c_latin1.py'}:2: encoding error: " in out


def test_a_very_long_expression_is_scanned_like_any_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Generated modules hold expressions thousands of nodes deep; the walk does not recurse.
    deep = "from tornado import gen\nx = 1" + " + 1" * 3000 + " + gen.Task(f)\n"
    write(tmp_path, {"a_deep.py": deep, "b.py": LEGACY})
    code, out, _ = run(capsys, "--jobs", "1", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'a_deep.py'}:2:{len(deep.splitlines()[1]) - 10}: gen-task" in out
    assert "b.py:5:5: gen-coroutine" in out


def test_a_file_too_deep_for_the_parser_is_reported_and_the_scan_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"a_deep.py": "import tornado\nx = " + "-" * 100_000 + "1\n", "b.py": LEGACY})
    code, out, _ = run(capsys, "--jobs", "1", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'a_deep.py'}: internal error: nested too deeply for the scanner" in out
    assert "b.py:5:5: gen-coroutine" in out


def test_an_unparsable_file_alone_is_not_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"broken.py": "import twisted\ndef f(:\n"})
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert "no legacy async patterns" in out
    assert "1 could not be parsed" in out


def test_gitignored_and_virtualenv_files_are_not_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "generated/\n*_old.py\n",
            "app.py": "async def main():\n    pass\n",
            "generated/legacy.py": LEGACY,
            "handler_old.py": LEGACY,
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/tornado_stuff.py": LEGACY,
        },
    )
    (tmp_path / ".git").mkdir()
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 0, out
    assert "Scanned 1 files" in out


def test_select_and_ignore_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"h.py": LEGACY})
    code, out, _ = run(
        capsys, "--select", "gen-return,yield-list", "--ignore", "yield-list", str(tmp_path)
    )
    assert code == 1
    assert "gen-return" in out
    assert "gen-coroutine:" not in out
    assert "yield-list" not in out
    code, out, _ = run(capsys, "--ignore", "tornado", str(tmp_path))
    assert code == 0
    assert "no legacy async patterns" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "nope", "."], "unknown pattern id or framework: 'nope'"),
        (["--jobs", "0", "."], "--jobs must be at least 1"),
    ],
)
def test_bad_values_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_missing_path_exits_2_and_scans_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"h.py": LEGACY})
    code, out, err = run(capsys, str(tmp_path), str(tmp_path / "missing"))
    assert code == 2
    assert out == ""
    assert f"no such file or directory: {tmp_path / 'missing'}" in err


@pytest.mark.parametrize("argv", [[], ["--format", "xml", "."], ["--bogus", "."]])
def test_argparse_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan", *argv])
    assert info.value.code == 2
    assert "usage: asyncmigrate" in capsys.readouterr().err


def test_console_script_runs_for_real(tmp_path: Path) -> None:
    write(tmp_path, {"h.py": LEGACY})
    script = Path(sys.executable).with_name("asyncmigrate")
    done = subprocess.run(
        [str(script), "scan", "--no-progress", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "gen-coroutine" in done.stdout
    assert done.stderr == ""


def test_scan_works_without_libcst(tmp_path: Path) -> None:
    # scan parses with the standard library's ast: a production install without the
    # ``rewrite`` extra can take inventory. Make `import libcst` fail as it does there.
    write(tmp_path, {"legacy.py": LEGACY})
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'libcst' or name.startswith('libcst.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from asyncmigrate.__main__ import main\n"
        f"sys.exit(main(['scan', '--no-progress', {str(tmp_path)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "legacy.py:5:5: gen-coroutine" in done.stdout
    assert done.stderr == ""


def test_this_projects_modern_apps_stay_migrated(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The legacy/ and modern/ apps are the same service written both ways: the scan must tell
    # them apart (this is also what the pre-commit hook guards in a migrating codebase).
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    code, out, _ = run(capsys, "--no-progress", "modern")
    assert code == 0, out
    assert "no legacy async patterns" in out
    code, out, _ = run(capsys, "--no-progress", "legacy")
    assert code == 1
    assert "web-asynchronous" in out
    assert "inline-callbacks" in out


def test_a_reader_that_goes_away_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `asyncmigrate scan . | head -1`: stdout is a pipe whose reader has gone.
    write(tmp_path, {"h.py": LEGACY})
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as gone:
        monkeypatch.setattr(sys, "stdout", gone)
        assert main(["scan", "--jobs", "1", str(tmp_path)]) == 1


def test_help_names_exit_codes_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "exit status: 0 when clean, 1 when legacy patterns remain" in out
    assert "docs/cli/scan.md" in out


def test_private_modules_export_what_they_list() -> None:
    import asyncmigrate._files as files
    import asyncmigrate._scan as scan

    for module in (scan, files):
        assert sorted(module.__all__) == sorted(set(module.__all__))
        for name in module.__all__:
            assert getattr(module, name) is not None
