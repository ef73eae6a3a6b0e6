"""`asyncmigrate scan` output channels: the JSON schema and the progress bar on a terminal."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import asyncmigrate
from asyncmigrate.__main__ import main
from asyncmigrate._scan import PATTERNS, PROGRESS_MIN_FILES, ProgressBar
from asyncmigrate._scan._visitor import LEGACY_DECORATORS

FIXTURES = Path(__file__).parent / "fixtures" / "scan"
SCHEMA_PATH = Path(asyncmigrate.__file__).with_name("scan-schema.json")
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def scan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["scan", "--format", "json", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_enums_follow_the_catalogue() -> None:
    assert SCHEMA["$defs"]["pattern_id"]["enum"] == list(PATTERNS)
    kinds = {kind for _, kind in LEGACY_DECORATORS.values()} | {
        "gen_test",
        "callback",
        "generator-send",
    }
    assert set(SCHEMA["$defs"]["legacy_kind"]["enum"]) == kinds


def test_fixture_report_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = scan_json(capsys, str(FIXTURES))
    assert code == 1
    VALIDATOR.validate(data)
    assert data["schema_version"] == 1
    assert data["summary"]["errors"] == 3
    assert {e["kind"] for e in data["errors"]} == {"syntax", "encoding"}
    first = data["findings"][0]
    assert first["message"] == PATTERNS[first["pattern"]].hint
    assert sum(data["summary"]["by_pattern"].values()) == len(data["findings"])
    assert [p["id"] for p in data["patterns"]] == [
        p for p in PATTERNS if p in data["summary"]["by_pattern"]
    ]


def test_clean_and_empty_reports_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = scan_json(capsys, str(tmp_path))
    assert code == 0
    VALIDATOR.validate(data)
    assert data["summary"]["functions"]["progress"] is None
    (tmp_path / "a.py").write_text("async def f():\n    pass\n", encoding="utf-8")
    code, data = scan_json(capsys, "--select", "twisted", str(tmp_path))
    assert code == 0
    VALIDATOR.validate(data)
    assert data["summary"]["functions"] == {
        "native": 1,
        "legacy": 0,
        "legacy_by_kind": {},
        "progress": 1.0,
    }
    assert data["summary"]["clean"] is True
    assert all(PATTERNS[p].framework == "twisted" for p in data["selected"])


def test_schema_rejects_a_wrong_report(capsys: pytest.CaptureFixture[str]) -> None:
    # The schema is strict enough to catch a renamed or mistyped field.
    _, data = scan_json(capsys, str(FIXTURES / "twisted_patterns.py"))
    data["findings"][0]["line"] = "9"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(data)
    _, data = scan_json(capsys, str(FIXTURES / "twisted_patterns.py"))
    data["summary"]["renamed"] = data["summary"].pop("findings")
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(data)


class TerminalStream(io.StringIO):
    """A text stream that says it is a terminal (what a pty gives, without one)."""

    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = TerminalStream()
    bar = ProgressBar(terminal)
    bar.start(PROGRESS_MIN_FILES)
    for _ in range(PROGRESS_MIN_FILES):
        bar.advance()
    bar.close()
    drawn = terminal.getvalue()
    assert f"] {PROGRESS_MIN_FILES:>6}/{PROGRESS_MIN_FILES} files" in drawn
    assert "[" + "#" * 30 + "]" in drawn
    assert drawn.endswith("\r")
    # Redrawn only when the bar moves: at most one draw per step of the 30-cell bar, plus start.
    assert drawn.count("\rscanning") <= 31

    pipe = io.StringIO()
    bar = ProgressBar(pipe)
    bar.start(PROGRESS_MIN_FILES)
    bar.advance()
    bar.close()
    assert pipe.getvalue() == ""


def test_progress_bar_skips_small_trees_and_can_be_disabled() -> None:
    small = TerminalStream()
    bar = ProgressBar(small)
    bar.start(PROGRESS_MIN_FILES - 1)
    bar.advance()
    bar.close()
    assert small.getvalue() == ""
    off = TerminalStream()
    bar = ProgressBar(off, enabled=False)
    bar.start(PROGRESS_MIN_FILES)
    bar.advance()
    bar.close()
    assert off.getvalue() == ""


@pytest.fixture
def big_tree(tmp_path: Path) -> Path:
    for n in range(PROGRESS_MIN_FILES + 10):
        (tmp_path / f"m{n:03}.py").write_text(f"async def f{n}():\n    pass\n", encoding="utf-8")
    return tmp_path


def run_with_stderr_on_pty(argv: list[str]) -> tuple[int, str, str]:
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "asyncmigrate", *argv],
            stdout=subprocess.PIPE,
            stderr=slave,
            stdin=subprocess.DEVNULL,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                proc.kill()
                raise AssertionError("no output from the scan within 60 s")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout = proc.stdout.read().decode() if proc.stdout else ""
        code = proc.wait(timeout=60)
        if proc.stdout:
            proc.stdout.close()
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    return code, stdout, b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX only")
def test_progress_bar_on_a_real_terminal(big_tree: Path) -> None:
    code, stdout, terminal = run_with_stderr_on_pty(["scan", "--jobs", "1", str(big_tree)])
    assert code == 0
    total = PROGRESS_MIN_FILES + 10
    assert f"{total:>6}/{total} files" in terminal
    assert "\rscanning [" in terminal
    assert "scanning" not in stdout
    assert f"Scanned {total} files" in stdout


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX only")
def test_no_progress_option_on_a_real_terminal(big_tree: Path) -> None:
    code, _, terminal = run_with_stderr_on_pty(["scan", "--no-progress", str(big_tree)])
    assert code == 0
    assert terminal == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(big_tree: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "asyncmigrate", "scan", "--jobs", "1", str(big_tree)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr == ""
    assert f"Scanned {PROGRESS_MIN_FILES + 10} files" in done.stdout
