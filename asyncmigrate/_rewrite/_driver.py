"""Rewrite a tree, in three phases run on worker processes (one pool for all three).

1. Find the candidate functions of every file (``ast`` only: cheap), and the plain functions
   that ``raise gen.Return`` to end the coroutine that calls them (``_helpers``): those are
   reported, and the Tornado candidates of the same file that call them are blocked.
2. Index, in every file that mentions one of their names, the calls whose result nobody awaits
   (``_callsites``). A Tornado candidate called like that somewhere in the tree is *blocked*: a
   native coroutine does not start until awaited, so converting it would silently stop work
   from running. A Twisted one is blocked only where it is driven as a generator
   (``bridges.deferred_coroutine`` keeps its Deferred contract otherwise).
3. Rewrite the files that have candidates, leaving the blocked functions alone.

Nothing is written here; see :func:`write_atomically`.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from asyncmigrate._files import iter_python_files
from asyncmigrate._rewrite._callsites import Use, _Index
from asyncmigrate._rewrite._callsites import index as index_calls
from asyncmigrate._rewrite._candidates import all_candidates, find_defs
from asyncmigrate._rewrite._helpers import Helpers, return_helpers
from asyncmigrate._rewrite._result import Converted, Failure, Result, Skip, Success, Trap
from asyncmigrate._rewrite._source import (
    CONVERSIONS,
    TRIGGERS,
    decode,
    import_aliases,
    syntax_check,
)
from asyncmigrate._workers import worker_context

#: Default: one worker process per this many files (up to the CPU count). Forked workers are
#: cheap; on tornado 4.5.3 (bench/bench_rewrite.py, a shared 2-core machine) two workers were
#: up to 1.5x faster than one process from 30 files up, and no slower when the machine was busy.
FILES_PER_WORKER = 8

#: Call-site kinds that stop a Twisted conversion (its Deferred contract covers the others).
TWISTED_BLOCKERS = frozenset({"generator-protocol"})

_CALL_REASONS = {
    "not-awaited": "a native coroutine does not run until awaited",
    "add-future": "add_future/add_done_callback need a Future; a coroutine never starts",
    "callback": "the callback's coroutine would never be awaited",
    "attribute": "the result is used as a Future",
    "generator-protocol": "a native coroutine is not a generator",
}


def _trap_id(use: Use) -> str:
    return use.kind if use.kind in {"add-future", "generator-protocol"} else "not-awaited"


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    #: Traps at call sites found by the whole-tree pass.
    call_traps: list[Trap] = field(default_factory=list)

    @property
    def changed(self) -> list[Success]:
        return [r for r in self.results if isinstance(r, Success) and r.changed]

    @property
    def converted(self) -> list[Converted]:
        return sorted(c for r in self.results for c in r.converted)

    @property
    def traps(self) -> list[Trap]:
        return sorted([t for r in self.results for t in r.traps] + self.call_traps)

    @property
    def failures(self) -> list[Failure]:
        return [r for r in self.results if isinstance(r, Failure)]


@dataclass(frozen=True)
class _Candidate:
    path: str
    name: str
    line: int
    scope: str
    conversion: str


#: Files read and parsed in this process, for the next phase (bounded).
_CACHE: dict[str, tuple[bytes, str, ast.Module] | Failure] = {}
_CACHE_SIZE = 4000
#: The call index of each file, kept for the next rounds; its name counts save the rewrite a
#: walk of the tree.
_INDEXES: dict[str, _Index] = {}


def _read(path: str) -> tuple[bytes, str, ast.Module] | Failure:
    cached = _CACHE.get(path)
    if cached is not None:
        return cached
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
        _INDEXES.clear()
    _CACHE[path] = found = _load(path)
    return found


def _load(path: str) -> tuple[bytes, str, ast.Module] | Failure:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Failure(path, f"cannot read: {exc.strerror or exc}")
    try:
        text, _ = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return Failure(path, f"cannot decode: {exc}")
    tree = syntax_check(path, text)
    if isinstance(tree, Failure):
        return tree
    return data, text, tree


def _find(job: tuple[str, frozenset[str]]) -> tuple[list[_Candidate], Helpers] | Failure:
    """Phase 1: the candidates of one file, and its functions that raise ``gen.Return`` for
    their callers (``ast`` only)."""
    path, selected = job
    read = _read(path)
    if isinstance(read, Failure):
        return read
    _, text, tree = read
    triggered = any(word in text for word in TRIGGERS)
    if not triggered and "Return" not in text:
        return [], Helpers()
    aliases = import_aliases(tree)
    helpers = return_helpers(path, tree, aliases) if "Return" in text else Helpers()
    if not triggered:
        return [], helpers
    defs = find_defs(tree, aliases, selected)
    return [
        _Candidate(path, d.node.name, d.line, d.scope, d.conversion or "")
        for d in all_candidates(defs)
    ], helpers


def _uses(job: tuple[str, frozenset[str]]) -> list[Use]:
    """Phase 2: the un-awaited uses, in one file, of the candidates' names."""
    path, names = job
    read = _read(path)
    if isinstance(read, Failure):
        return []
    _, text, tree = read
    if not _mentions(names).search(text):
        return []
    found = _INDEXES.get(path)
    if found is None:
        found = _INDEXES[path] = index_calls(tree)
    return found.query(names)


_PATTERNS: dict[frozenset[str], re.Pattern[str]] = {}


def _mentions(names: frozenset[str]) -> re.Pattern[str]:
    pattern = _PATTERNS.get(names)
    if pattern is None:
        words = "|".join(sorted(map(re.escape, names)))
        pattern = _PATTERNS[names] = re.compile(rf"\b(?:{words})\b")
    return pattern


def _rewrite(job: tuple[str, frozenset[str], dict[int, tuple[str, str]]]) -> Result:
    """Phase 3: rewrite one file, leaving the blocked functions alone."""
    path, selected, blocked = job
    read = _read(path)
    if isinstance(read, Failure):
        return read
    data, _, tree = read
    from asyncmigrate._rewrite._module import rewrite_text  # LibCST: only when there is work

    return rewrite_text(
        path,
        data,
        selected=selected,
        blocked=blocked,
        tree=tree,
        name_counts=_INDEXES[path].counts if path in _INDEXES else None,
    )


def _serve(conn: Connection) -> None:
    """A worker: runs the batches of jobs its parent sends, until told to stop (None)."""
    while True:
        message = conn.recv()
        if message is None:
            break
        fn, jobs = message
        try:
            conn.send(("ok", [fn(job) for job in jobs]))
        except Exception as exc:  # reported, then raised, by the parent
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _callers(
    checked: list[_Candidate], searched: list[str], runner: _Runner
) -> dict[_Candidate, list[tuple[str, Use, str]]]:
    """The un-awaited uses that block each candidate: its own calls, and the calls of the plain
    functions that ``return`` its call (followed from function to function, in rounds)."""
    callers: dict[_Candidate, list[tuple[str, Use, str]]] = {}
    #: function being looked for -> (the candidate it leads to, how: "returned by f, ")
    targets: list[tuple[_Candidate, _Candidate, str]] = [(c, c, "") for c in checked]
    seen = {(c.path, c.line) for c in checked}
    while targets:
        by_name: dict[str, list[tuple[_Candidate, _Candidate, str]]] = {}
        for target in targets:
            by_name.setdefault(target[0].name, []).append(target)
        names = frozenset(by_name)
        found = runner.map(_uses, [(p, names) for p in searched])
        targets = []
        for path, uses in zip(searched, found, strict=True):
            for use in uses:
                for fn, root, via in by_name.get(use.name, ()):
                    twisted = root.conversion == "inline-callbacks"
                    if twisted and use.kind not in TWISTED_BLOCKERS:
                        continue
                    if not use.may_call(fn.scope, fn.path, path):
                        continue
                    if use.kind != "returned":
                        callers.setdefault(root, []).append((path, use, via))
                        continue
                    forwarder = _Candidate(path, use.via, use.via_line, use.via_scope, "")
                    if (path, use.via_line) not in seen:
                        seen.add((path, use.via_line))
                        step = f"returned by `{use.via}` ({path}:{use.via_line}), which is "
                        targets.append((forwarder, root, via + step))
    return callers


_Job = tuple[Any, ...]  # (path, ...): sent to a worker process
_R = TypeVar("_R")


class _Runner:
    """Runs each phase's jobs on worker processes, or inline for small trees.

    A file always goes to the same worker (round robin over the file list), so that the
    worker's reading cache (``_read``) saves parsing it again in the next phases: a process
    pool would hand it to any worker. Workers are forked (or spawned, see below).
    """

    def __init__(self, workers: int, files: list[str]) -> None:
        self.shard = {path: index % max(workers, 1) for index, path in enumerate(files)}
        self.conns: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        if workers > 1 and len(files) >= 4:
            context = worker_context()
            for _ in range(workers):
                parent, child = context.Pipe()
                proc = context.Process(target=_serve, args=(child,), daemon=True)
                proc.start()
                child.close()
                self.conns.append(parent)
                self.procs.append(proc)

    def map(self, fn: Callable[[_Job], _R], jobs: Sequence[_Job]) -> list[_R]:
        """``[fn(job) for job in jobs]``; each job's first item is its file's path."""
        if not self.conns or len(jobs) < 2:
            return [fn(job) for job in jobs]
        batches: list[list[int]] = [[] for _ in self.conns]
        for index, job in enumerate(jobs):
            batches[self.shard[job[0]]].append(index)
        for conn, batch in zip(self.conns, batches, strict=True):
            conn.send((fn, [jobs[i] for i in batch]))
        results: list[_R] = [None] * len(jobs)  # type: ignore[list-item]  # all filled below
        for conn, batch in zip(self.conns, batches, strict=True):
            status, payload = conn.recv()
            if status != "ok":
                raise RuntimeError(f"a rewrite worker failed: {payload}")
            for index, result in zip(batch, payload, strict=True):
                results[index] = result
        return results

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


def rewrite_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    selected: frozenset[str] = frozenset(CONVERSIONS),
    workers: int | None = None,
) -> Report:
    """Rewrite (in memory) every Python file under ``paths``; see the module docstring.

    Raises :class:`FileNotFoundError` if one of ``paths`` does not exist.
    """
    files = [str(p) for p in iter_python_files(paths)]
    if workers is None:
        workers = min(os.cpu_count() or 1, max(1, len(files) // FILES_PER_WORKER))
    runner = _Runner(workers, files)
    try:
        return _rewrite_files(files, selected, runner)
    finally:
        runner.close()
        _CACHE.clear()
        _INDEXES.clear()


def _rewrite_files(files: list[str], selected: frozenset[str], runner: _Runner) -> Report:
    results: dict[str, Result] = {}
    candidates: list[_Candidate] = []
    report = Report()
    blocked: dict[str, dict[int, tuple[str, str]]] = {}
    for path, found in zip(files, runner.map(_find, [(p, selected) for p in files]), strict=True):
        if isinstance(found, Failure):
            results[path] = found
            continue
        found_here, helpers = found
        report.call_traps += helpers.traps
        if helpers.blocked:
            blocked[path] = dict(helpers.blocked)
        if not found_here:
            results[path] = Skip(path, "nothing to convert")
        else:
            candidates += found_here

    searched = [p for p in files if not isinstance(results.get(p), Failure)]
    callers = _callers([c for c in candidates if c.conversion != "gen-test"], searched, runner)
    for root, sites in sorted(callers.items(), key=lambda item: (item[0].path, item[0].line)):
        first_path, first_use, first_via = sites[0]
        more = f" and {len(sites) - 1} more" if len(sites) > 1 else ""
        blocked.setdefault(root.path, {})[root.line] = (
            _trap_id(first_use),
            (
                f"{first_via}called at {first_path}:{first_use.line} ({first_use.detail})"
                f"{more}; {_CALL_REASONS.get(first_use.kind, '')}: await it there, or spawn it "
                "(IOLoop.current().spawn_callback / asyncio.ensure_future)"
            ),
        )
        for path, use, via in sites:
            returns = (
                f"it returns what `{root.name}` ({root.path}:{root.line}) returns; " if via else ""
            )
            report.call_traps.append(
                Trap(
                    path,
                    use.line,
                    _trap_id(use),
                    f"`{use.name}` {use.detail}; {returns}{_CALL_REASONS.get(use.kind, '')}; "
                    f"so `{root.name}` ({root.path}:{root.line}) stays as it is",
                )
            )

    todo = sorted({c.path for c in candidates}, key=files.index)
    jobs = [(path, selected, blocked.get(path, {})) for path in todo]
    for path, result in zip(todo, runner.map(_rewrite, jobs), strict=True):
        results[path] = result
    report.results = [results[path] for path in files]
    return report


def write_atomically(result: Success) -> None:
    """Replace the file with ``result.new``: temp file in the same folder, then ``os.replace``.

    The file's mode is kept; on any error the temp file is removed and the original is intact.
    """
    path = Path(result.path)
    mode = path.stat().st_mode & 0o7777
    data = result.new.encode(result.encoding)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def compiles(text: str, path: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, path, "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
        except SyntaxError:
            return False
    return True
