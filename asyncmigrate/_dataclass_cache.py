"""Keep the code that ``@dataclass`` compiles between runs, as ``.pyc`` files keep a module's.

For every class it decorates, :mod:`dataclasses` writes the source of the methods it adds
(``__init__``, ``__repr__``, ``__eq__``, ...) and compiles it with ``exec(source, ...)``, in each
new process. mongoeco defines some 300 dataclasses, so compiling their methods is about a third of
the time the embedded server takes to import it. Inside :func:`reused_dataclass_code`,
``dataclasses`` calls :func:`exec` through a stand-in that compiles a source only the first time
it is seen and afterwards takes the code object from a file: the same source compiled the same
way (file name ``<string>``, no inherited ``__future__`` flags, as ``exec`` does from
``dataclasses``, which has none), so the classes made are the same, only made sooner.

The file is a :mod:`marshal` dump of ``{source: code}``, behind a header naming the Python that
wrote it (marshal and code objects change between versions); a file from another Python, or one
that cannot be read, counts as empty. It is rewritten (atomically) only when a run compiled
something new, keeping what earlier runs used up to :data:`MAX_ENTRIES`. Like ``.pyc``
files, it is code: whoever can write the file can run code in the process that uses it, so it
lives in the user's own cache directory (made private if this creates it).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

__all__ = ["CodeCacheStats", "default_cache_path", "reused_dataclass_code"]

#: Changes when the Python (its bytecode) changes, or when this file's layout does.
HEADER = importlib.util.MAGIC_NUMBER + b"asyncmigrate dataclass code 1\n"
#: At most this many sources in the file: the embedded server needs about 345 (in memory and on
#: SQLite), 5.7 kB each; room for a few versions of mongoeco without loading much that is unused.
MAX_ENTRIES = 1024


@dataclasses.dataclass
class CodeCacheStats:
    """What one :func:`reused_dataclass_code` block did: sources found, compiled, file written."""

    hits: int = 0
    misses: int = 0
    written: bool = False


def default_cache_path() -> Path | None:
    """``$XDG_CACHE_HOME/asyncmigrate/`` (else ``~/.cache/...``), one file per Python version.

    None if there is no home directory to put it in.
    """
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home.startswith("~"):
            return None
        base = os.path.join(home, ".cache")
    return Path(base, "asyncmigrate", f"dataclass-code.{sys.implementation.cache_tag}.marshal")


@contextlib.contextmanager
def reused_dataclass_code(path: str | os.PathLike[str]) -> Iterator[CodeCacheStats]:
    """Within the block, dataclasses reuse the method code compiled by earlier runs from ``path``.

    Not thread-safe: meant for a process's start-up, before it starts other threads. Failing to
    read or write ``path`` only costs the time the cache would have saved.
    """
    path = Path(path)
    known = _read(path)
    used: dict[str, CodeType] = {}
    stats = CodeCacheStats()

    def exec_reusing(source: Any, /, *args: Any, **kwargs: Any) -> None:
        if not args and "globals" not in kwargs:
            # Plain ``exec(source)`` runs in its caller's namespace, not in this function's.
            caller = sys._getframe(1)
            args = (caller.f_globals, caller.f_locals)
        if type(source) is str:
            code = known.get(source)
            if code is None:
                code = compile(source, "<string>", "exec", dont_inherit=True)
                stats.misses += 1
            else:
                stats.hits += 1
            used[source] = code
            source = code
        builtins.exec(source, *args, **kwargs)

    # A module global shadows the builtin for the code of that module alone.
    dataclasses.exec = exec_reusing  # type: ignore[attr-defined]
    try:
        yield stats
    finally:
        del dataclasses.exec  # type: ignore[attr-defined]
    if stats.misses:
        # Keep what other runs used too (a server on SQLite imports more than one in memory),
        # up to a bound, so that runs of different kinds do not take turns rewriting the file.
        kept = dict(used)
        for source, code in known.items():
            if len(kept) >= MAX_ENTRIES:
                break
            kept.setdefault(source, code)
        stats.written = _write(path, kept)


def _read(path: Path) -> dict[str, CodeType]:
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    if not data.startswith(HEADER):
        return {}
    try:
        table = marshal.loads(data[len(HEADER) :])
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(table, dict):
        return {}
    return {
        key: value
        for key, value in table.items()
        if isinstance(key, str) and isinstance(value, CodeType)
    }


def _write(path: Path, table: dict[str, CodeType]) -> bool:
    """Replace ``path`` with ``table`` in one step, so a reader never sees half a file."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(HEADER)
            out.write(marshal.dumps(table))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    return True
