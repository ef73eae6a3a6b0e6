"""Rewrite a tree: the per-file rewrite in worker processes, then the whole-tree call check.

Phase 1 rewrites every file with every selected conversion and indexes (with ``ast``) the calls
whose result nobody awaits. Phase 2 takes the Tornado functions that were converted and are
called like that somewhere in the tree, and rewrites their files again with those functions
left alone: a native coroutine does not start until awaited, so converting them would silently
stop work from running. Nothing is written here; see :func:`write_atomically`.
"""

from __future__ import annotations

import ast
import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asyncmigrate._files import iter_python_files
from asyncmigrate._rewrite._callsites import Use, unawaited_uses
from asyncmigrate._rewrite._module import CONVERSIONS, decode, rewrite_text, syntax_check
from asyncmigrate._rewrite._result import Converted, Failure, Result, Success, Trap

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


@dataclass
class _Job:
    path: str
    selected: frozenset[str]
    blocked: dict[int, tuple[str, str]] = field(default_factory=dict)
    index_calls: bool = True


def _run(job: _Job) -> tuple[Result, list[Use]]:
    try:
        data = Path(job.path).read_bytes()
    except OSError as exc:
        return Failure(job.path, f"cannot read: {exc.strerror or exc}"), []
    try:
        text, _ = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return Failure(job.path, f"cannot decode: {exc}"), []
    tree = syntax_check(job.path, text)
    if isinstance(tree, Failure):
        return tree, []
    uses = unawaited_uses(tree) if job.index_calls else []
    result = rewrite_text(job.path, data, selected=job.selected, blocked=job.blocked, tree=tree)
    return result, uses


def _map(jobs: Sequence[_Job], workers: int) -> list[tuple[Result, list[Use]]]:
    if workers <= 1 or len(jobs) < 4:
        return [_run(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_run, jobs, chunksize=max(1, len(jobs) // (workers * 8))))


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
    workers = workers if workers is not None else (os.cpu_count() or 1)
    first = _map([_Job(path, selected) for path in files], workers)
    results = {r.path: r for r, _ in first}
    uses: list[tuple[str, Use]] = [(r.path, u) for r, found in first for u in found]

    defined: dict[str, list[Converted]] = {}
    for result in results.values():
        for c in result.converted:
            if c.conversion != "gen-test":
                defined.setdefault(c.name, []).append(c)
    callers: dict[tuple[str, int], list[tuple[str, Use]]] = {}
    for path, use in uses:
        for c in defined.get(use.name, ()):
            if c.conversion == "inline-callbacks" and use.kind not in TWISTED_BLOCKERS:
                continue
            if use.may_call(c.scope, c.path, path):
                callers.setdefault((c.path, c.line), []).append((path, use))

    report = Report()
    blocked: dict[str, dict[int, tuple[str, str]]] = {}
    for (def_path, def_line), sites in sorted(callers.items()):
        first_path, first_use = sites[0]
        name = first_use.name
        more = f" and {len(sites) - 1} more" if len(sites) > 1 else ""
        blocked.setdefault(def_path, {})[def_line] = (
            _trap_id(first_use),
            (
                f"called at {first_path}:{first_use.line} ({first_use.detail}){more}; "
                f"{_CALL_REASONS.get(first_use.kind, '')}: await it there, or spawn it "
                "(IOLoop.current().spawn_callback / asyncio.ensure_future)"
            ),
        )
        for path, use in sites:
            trap_id = (
                use.kind if use.kind in {"add-future", "generator-protocol"} else "not-awaited"
            )
            report.call_traps.append(
                Trap(
                    path,
                    use.line,
                    trap_id,
                    f"`{name}` {use.detail}; {_CALL_REASONS.get(use.kind, '')}; "
                    f"so `{name}` ({def_path}:{def_line}) stays as it is",
                )
            )
    if blocked:
        again = [_Job(path, selected, lines, index_calls=False) for path, lines in blocked.items()]
        for result, _ in _map(again, workers):
            results[result.path] = result
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
