"""Run a scan over files: two text pre-filters, then parsing, in worker processes for big trees.

Parsing (``ast``) and the walk that resolves names are the whole cost of a scan, so each file's
bytes are first searched for words:

- ``LEGACY_WORDS``: a file without any of them cannot hold a finding or a legacy function, so it
  is only parsed to count its ``async def`` functions, without metadata;
- ``TRIGGER`` (``LEGACY_WORDS``, ``async``, or the framework names ``tornado``, ``twisted``,
  ``motor``): a file without any of them is not parsed at all. The framework names are there so
  that a module of a legacy tree that does not parse (Python 2, bad encoding) is reported.

Both are exact, not guesses: every pattern of the catalogue needs one of the words in the source
(a name it resolves to is spelled in an import or an attribute: ``coroutine``, ``engine``,
``Task``, ``Return``, ``gen_test``, ``asynchronous``, ``return_future``, ``stack_context``,
``inlineCallbacks``, ``returnValue``, ``Deferred...``, ``gatherResults``, ``deferLater``; the
method names ``add_future``, ``add_callback``, ``spawn_callback``, ``addCallback``/``addErrback``/
``addBoth``/``chainDeferred``; ``callback`` for ``callback=`` and parameters; ``.each(`` and
``.send(``). A test runs every fixture with and without the filters and compares.

Parsing is CPU-bound, so for ``PARALLEL_MIN_FILES`` files or more it is spread over worker
processes (``asyncmigrate._workers``: forked, or spawned when this process runs threads).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .._files import iter_python_files
from .._workers import worker_context
from ._model import FileResult, ScanResult

__all__ = ["LEGACY_WORDS", "PARALLEL_MIN_FILES", "TRIGGER", "scan_file", "scan_paths"]

LEGACY_WORDS = re.compile(
    rb"coroutine|engine|Task|Return|gen_test|asynchronous|return_future|stack_context"
    rb"|callback|Callback|Errback|addBoth|Deferred|gatherResults|deferLater|returnValue"
    rb"|add_future|\.each\s*\(|\.send\s*\("
)
TRIGGER = re.compile(LEGACY_WORDS.pattern + rb"|async|tornado|twisted|motor")
#: Below this many files to parse, one process is as fast as two (on the idle 2-core machine,
#: forked workers: 16 files took 0.43 s alone and 0.41 s with two, 32 files 0.65 s and 0.52 s).
PARALLEL_MIN_FILES = 16


def scan_file(path: str, *, prefilter: bool = True) -> FileResult | None:
    """Scan one file; None when the pre-filter shows it cannot hold anything to report."""
    try:
        source = Path(path).read_bytes()
    except OSError as exc:
        return FileResult(path, error_kind="read", error=exc.strerror or str(exc))
    if prefilter and not TRIGGER.search(source):
        return None
    from ._visitor import scan_source

    return scan_source(path, source, full=not prefilter or bool(LEGACY_WORDS.search(source)))


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
    given = [str(os.fspath(p)) for p in paths]
    files = [str(p) for p in iter_python_files(given)]
    result = ScanResult(paths=given, selected=selected, files_seen=len(files))
    candidates = [p for p in files if _may_hold_patterns(p)] if prefilter else files
    if on_start is not None:
        on_start(len(candidates))
    # process_cpu_count (3.13+) honours CPU affinity; cpu_count is the fallback on 3.11/3.12.
    jobs = jobs or getattr(os, "process_cpu_count", os.cpu_count)() or 1
    worker = scan_file if prefilter else _scan_unfiltered
    if jobs > 1 and len(candidates) >= PARALLEL_MIN_FILES:
        context = worker_context()
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
