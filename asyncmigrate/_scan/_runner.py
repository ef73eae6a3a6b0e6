"""Run a scan over files: text pre-filter, then parsing, in worker processes for big trees.

The pre-filter reads each file's bytes and parses only the ones containing a trigger word
(``TRIGGER``). It is exact, not a guess: every pattern of the catalogue, and every ``async def``
counted for the progress figure, needs one of those words in the source (a name imported from
``tornado``, ``twisted`` or ``motor``; ``callback`` in ``callback=``, ``add_callback`` and
``addCallback``; ``Errback``/``addBoth``/``chainDeferred``; ``add_future``; ``.each(``;
``.send(``; ``yield``; ``async``). A test runs every fixture with and without it and compares.

Parsing is CPU-bound, so for ``PARALLEL_MIN_FILES`` files or more it is spread over worker
processes (``spawn`` start method: the scan may run inside a process that has threads, where
``fork`` is unsafe).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .._files import iter_python_files
from ._model import FileResult, ScanResult

__all__ = ["PARALLEL_MIN_FILES", "TRIGGER", "scan_file", "scan_paths"]

TRIGGER = re.compile(
    rb"tornado|twisted|motor|callback|Callback|Errback|addBoth|chainDeferred|add_future"
    rb"|\.each\s*\(|\.send\s*\(|yield|async"
)
#: Below this many files to parse, one process is faster than starting workers.
PARALLEL_MIN_FILES = 200


def scan_file(path: str, *, prefilter: bool = True) -> FileResult | None:
    """Scan one file; None when the pre-filter shows it cannot hold anything to report."""
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        return FileResult(path, error_kind="read", error=exc.strerror or str(exc))
    if prefilter and not TRIGGER.search(source):
        return None
    from ._visitor import scan_source  # libcst: imported where it is needed

    return scan_source(path, source)


def _scan_unfiltered(path: str) -> FileResult | None:
    return scan_file(path, prefilter=False)


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    selected: frozenset[str],
    jobs: int | None = None,
    prefilter: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_file: Callable[[], None] | None = None,
) -> ScanResult:
    """Scan every Python file under ``paths`` (see ``asyncmigrate._files``).

    ``jobs`` is the number of worker processes (default: the CPU count; 1 scans in this process).
    ``on_start(total)`` and ``on_file()`` report progress over the files to parse. Findings whose
    pattern is not in ``selected`` are dropped (the function counts are kept: the progress figure
    does not depend on ``--select``). Raises :class:`FileNotFoundError` for a missing path.
    """
    paths = [os.fspath(p) for p in paths]
    files = [str(p) for p in iter_python_files(paths)]
    result = ScanResult(paths=paths, selected=selected, files_seen=len(files))
    candidates = [p for p in files if _may_hold_patterns(p)] if prefilter else files
    if on_start is not None:
        on_start(len(candidates))
    jobs = jobs or os.cpu_count() or 1
    worker = scan_file if prefilter else _scan_unfiltered
    if jobs > 1 and len(candidates) >= PARALLEL_MIN_FILES:
        context = multiprocessing.get_context("spawn")
        chunksize = max(1, min(32, len(candidates) // (jobs * 8)))
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            outcomes: Iterable[FileResult | None] = pool.map(
                worker, candidates, chunksize=chunksize
            )
            _collect(result, outcomes, on_file)
    else:
        _collect(result, map(worker, candidates), on_file)
    for file in result.files:
        file.findings = [f for f in file.findings if f.pattern in selected]
    return result


def _collect(
    result: ScanResult,
    outcomes: Iterable[FileResult | None],
    on_file: Callable[[], None] | None,
) -> None:
    for outcome in outcomes:
        if outcome is not None:
            result.files.append(outcome)
        if on_file is not None:
            on_file()


def _may_hold_patterns(path: str) -> bool:
    try:
        return TRIGGER.search(Path(path).read_bytes()) is not None
    except OSError:
        return True  # let the worker report the read error
