"""``asyncmigrate rewrite`` throughput against tornado-async-transformer 0.2.0.

``python -m bench rewrite``. Sources: tornado 4.5.3's ``tornado/`` package, from the sdist that
``make corpus`` downloads (``scripts/corpus --fetch``; cached in ``.corpus/``). Each measurement
is *cold*: a fresh copy of the files and a fresh process (interpreter start and imports
included), timed from the parent, median of ``ROUNDS`` rounds in which the tools alternate.

- asyncmigrate: ``python -m asyncmigrate rewrite --write``, with its default (a worker per
  core for trees this size: both cores here) and with ``--jobs 1`` (one process); over the
  files holding ``@gen.coroutine``, and over the whole package. The target is checked on the
  default.
- tornado-async-transformer 0.2.0 (the one published tool that does this), on those same
  ``@gen.coroutine`` files: its own command line, in ``.bench/tat`` (a venv with a current
  libcst, since its pinned libcst 0.1.2 does not run on Python 3.13; installed ``--no-deps``).

Converted functions are counted the same way for both: ``async def`` in the output minus
``async def`` in the input (``ast``). Target: at least 2x its files per second while converting
at least as many functions. Exits 1 if it could not measure or a target is missed.
"""

from __future__ import annotations

import ast
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROUNDS = 5
# tornado 4.5.3 has invalid escapes in strings: those SyntaxWarnings are not ours to show.
warnings.simplefilter("ignore", SyntaxWarning)
ROOT = Path(__file__).resolve().parent.parent
TAT = ROOT / ".bench" / "tat"
TAT_PIN = "tornado-async-transformer==0.2.0"


def sources() -> Path:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "corpus"), "--fetch"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Path(out.strip().splitlines()[-1]) / "tornado"


def tat_python() -> Path:
    python = TAT / "bin" / "python"
    stamp = TAT / ".installed"
    import libcst  # the same libcst for both tools

    want = f"{TAT_PIN} libcst=={libcst._version.__version__}"
    if not stamp.exists() or stamp.read_text() != want:
        shutil.rmtree(TAT, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(TAT)], check=True)
        pip = [str(python), "-m", "pip", "--quiet", "--disable-pip-version-check", "install"]
        subprocess.run([*pip, "--no-deps", TAT_PIN], check=True)
        subprocess.run([*pip, want.split()[1]], check=True)
        stamp.write_text(want)
    return python


def async_defs(files: list[Path]) -> int:
    count = 0
    for path in files:
        try:
            tree = ast.parse(path.read_bytes())
        except SyntaxError:
            continue
        count += sum(isinstance(n, ast.AsyncFunctionDef) for n in ast.walk(tree))
    return count


def timed_run(
    argv: list[str], package: Path, subset: list[Path] | None
) -> tuple[float, int, float]:
    """Copy the package, run ``argv`` + the copied paths; return (wall seconds, functions
    converted, CPU seconds of the run's processes)."""
    with tempfile.TemporaryDirectory(prefix="bench-rewrite-") as tmp:
        copy = Path(tmp) / "tornado"
        shutil.copytree(package, copy)
        paths = [copy / p.relative_to(package) for p in subset] if subset else [copy]
        files = [copy / p.relative_to(package) for p in (subset or package.rglob("*.py"))]
        before = async_defs(files)
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [*argv, *map(str, paths)], capture_output=True, text=True, check=False
        )
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - cpu_before.ru_utime) + (after.ru_stime - cpu_before.ru_stime)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        return elapsed, async_defs(files) - before, cpu


def main() -> int:
    package = sources()
    every = sorted(package.rglob("*.py"))
    coroutine_files = [p for p in every if "@gen.coroutine" in p.read_text(encoding="utf-8")]

    def lines(files: list[Path]) -> int:
        return sum(len(p.read_bytes().splitlines()) for p in files)

    ours = [sys.executable, "-m", "asyncmigrate", "rewrite", "--write"]
    tat = [str(tat_python()), "-m", "tornado_async_transformer.tool"]
    plan = {
        "tat": (tat, coroutine_files),
        "ours": (ours, coroutine_files),
        "ours1": ([*ours, "--jobs", "1"], coroutine_files),
        "all": (ours, None),
        "all1": ([*ours, "--jobs", "1"], None),
    }
    runs: dict[str, list[tuple[float, int, float]]] = {key: [] for key in plan}
    for round_ in range(ROUNDS):
        order = list(plan) if round_ % 2 == 0 else list(reversed(plan))
        for which in order:
            argv, subset = plan[which]
            runs[which].append(timed_run(argv, package, subset))

    def median(key: str, column: int) -> float:
        return statistics.median(run[column] for run in runs[key])

    tat_seconds, tat_cpu = median("tat", 0), median("tat", 2)

    def row(name: str, key: str, files: list[Path], compare: bool) -> str:
        seconds, cpu = median(key, 0), median(key, 2)
        converted = max(run[1] for run in runs[key])
        ratios = f"{tat_seconds / seconds:.2f}x | {tat_cpu / cpu:.2f}x" if compare else " | "
        return (
            f"| {name} | {len(files)} | {lines(files):,} | {converted} | {seconds:.2f} | "
            f"{cpu:.2f} | {len(files) / seconds:.1f} | {lines(files) / seconds:,.0f} | {ratios} |"
        )

    load = os.getloadavg()[0]
    print(
        f"Cold runs, median of {ROUNDS}; {os.cpu_count()} cores, load average {load:.1f}; "
        f"Python {sys.version.split()[0]}."
    )
    print()
    print(
        "| tool, files | files | lines | functions converted | wall s | CPU s | files/s | "
        "lines/s | speed (wall) | CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        row(
            "tornado-async-transformer 0.2.0, `@gen.coroutine` files", "tat", coroutine_files, False
        )
    )
    print(row("asyncmigrate rewrite, `@gen.coroutine` files", "ours", coroutine_files, True))
    print(
        row("asyncmigrate rewrite --jobs 1, `@gen.coroutine` files", "ours1", coroutine_files, True)
    )
    print(row("asyncmigrate rewrite, all of `tornado/`", "all", every, False))
    print(row("asyncmigrate rewrite --jobs 1, all of `tornado/`", "all1", every, False))
    speed = tat_seconds / median("ours", 0)
    ours_converted = max(run[1] for run in runs["ours"])
    tat_converted = max(run[1] for run in runs["tat"])
    ok = speed >= 2.0 and ours_converted >= tat_converted
    print()
    print(
        f"Target: at least 2x the files/s of tornado-async-transformer ({speed:.2f}x) while "
        f"converting at least as many functions ({ours_converted} vs {tat_converted}): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
