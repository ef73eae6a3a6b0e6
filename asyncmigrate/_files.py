"""Walk a tree for Python files the way a developer expects: skip what is not their code.

Public API (shared by ``asyncmigrate scan`` and ``asyncmigrate rewrite``)::

    iter_python_files(paths) -> Iterator[Path]

It yields every ``*.py`` file under the given paths, each once, in a stable order (the order of
``paths``, then sorted within each directory), and leaves out:

- folders that are never source: ``.git``, ``.hg``, ``.svn``, ``__pycache__``, ``.tox``, ``.nox``,
  ``.mypy_cache``, ``.ruff_cache``, ``.pytest_cache``, ``node_modules``, ``build``, ``dist``,
  ``.eggs``, ``*.egg-info``, ``site-packages``, ``.venv``/``venv`` and any folder holding a
  ``pyvenv.cfg`` (a virtualenv, whatever its name);
- whatever ``.gitignore`` excludes: the ``.gitignore`` files of the walked folders and of their
  parents up to the repository root (the nearest folder holding ``.git``), plus
  ``.git/info/exclude``, with git's rules (last match wins, ``!`` re-includes, a trailing ``/``
  matches folders only, a ``/`` at the start or in the middle anchors the pattern to its folder,
  ``*``, ``?``, ``[...]`` and ``**``). Outside a repository the ``.gitignore`` files inside the
  walked tree still apply. Git's global excludes file is not read;
- symlinked folders (not followed, so that a link cannot loop).

A path given explicitly is always used, even if its name or a ``.gitignore`` would exclude it:
``asyncmigrate scan build/gen.py`` scans that file, and ``asyncmigrate scan
.venv/lib/python3.13/site-packages/twisted`` scans that package (the rules that ignore a folder
given explicitly, or one of its parents, are dropped; the ``.gitignore`` files inside still
apply). A path that does not exist raises :class:`FileNotFoundError` before anything is yielded;
callers check that to report a usage error.

The matcher is written here rather than asking ``git check-ignore`` so that it behaves the same
inside and outside a repository and needs no ``git`` executable.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SKIPPED_DIRS", "IgnoreRules", "iter_python_files"]

#: Folder names never walked into (unless given explicitly as a path).
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "node_modules",
        "build",
        "dist",
        ".eggs",
        "site-packages",
        ".venv",
        "venv",
    }
)

PYTHON_SUFFIXES = (".py",)


def iter_python_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Yield the Python files under ``paths``, each once, skipping what is not source code.

    See the module docstring for what is skipped. Raises :class:`FileNotFoundError` (naming the
    first missing path) before yielding anything if one of ``paths`` does not exist.
    """
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(2, "no such file or directory", str(root))
    return _iter(roots)


def _iter(roots: list[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for root in roots:
        if root.is_file():
            key = root.resolve()
            if key not in seen:
                seen.add(key)
                yield root
            continue
        for path in _walk(root):
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield path


def _walk(root: Path) -> Iterator[Path]:
    # Rules are matched against resolved paths; files are yielded in the caller's spelling.
    real_root = root.resolve()
    stack: list[tuple[Path, Path, IgnoreRules]] = [
        (root, real_root, IgnoreRules.for_directory(real_root))
    ]
    while stack:
        folder, real, rules = stack.pop()
        rules = rules.with_gitignore_of(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue  # unreadable folder: nothing to scan there
        subfolders: list[tuple[Path, Path, IgnoreRules]] = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if _skipped_dir(entry) or rules.ignored(real / entry.name, is_dir=True):
                    continue
                subfolders.append((folder / entry.name, real / entry.name, rules))
            elif (
                entry.name.endswith(PYTHON_SUFFIXES)
                and entry.is_file()
                and not rules.ignored(real / entry.name, is_dir=False)
            ):
                yield folder / entry.name
        stack.extend(reversed(subfolders))


def _skipped_dir(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


@dataclass(frozen=True)
class _Rule:
    base: Path  # folder of the .gitignore the rule comes from (absolute)
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


@dataclass(frozen=True)
class IgnoreRules:
    """The gitignore rules in force in one folder (immutable; extended per subfolder)."""

    rules: tuple[_Rule, ...] = ()

    @classmethod
    def for_directory(cls, folder: Path) -> IgnoreRules:
        """Rules from the repository root down to (not including) ``folder`` itself."""
        folder = folder.resolve()
        repo = _repository_root(folder)
        if repo is None:
            return cls()
        rules = cls()._extended(repo / ".git" / "info" / "exclude", repo)
        parents = [folder, *folder.parents]
        chain = list(reversed(parents[: parents.index(repo) + 1]))  # repo ... folder
        for parent, child in itertools.pairwise(chain):
            rules = rules.with_gitignore_of(parent)
            if rules.ignored(child, is_dir=True):
                # The caller asked for a folder git ignores (say, a package inside .venv):
                # the rules that ignore it would hide everything, so they do not apply.
                rules = cls()
        return rules

    def with_gitignore_of(self, folder: Path) -> IgnoreRules:
        """These rules plus the ones in ``folder/.gitignore`` (``folder`` resolved), if any."""
        return self._extended(folder / ".gitignore", folder)

    def _extended(self, file: Path, base: Path) -> IgnoreRules:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return self
        new = tuple(r for line in text.splitlines() if (r := _parse_rule(line, base)) is not None)
        return IgnoreRules(self.rules + new) if new else self

    def ignored(self, path: Path, *, is_dir: bool) -> bool:
        """Whether git ignores ``path`` (absolute, resolved); the last matching rule decides."""
        result = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            try:
                relative = path.relative_to(rule.base).as_posix()
            except ValueError:
                continue
            if rule.regex.fullmatch(relative):
                result = not rule.negated
        return result


def _repository_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _parse_rule(line: str, base: Path) -> _Rule | None:
    if not line or line.startswith("#"):
        return None
    # Trailing spaces are ignored unless escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    negated = line.startswith("!")
    if negated or line.startswith(("\\!", "\\#")):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    regex = body if anchored else f"(?:.*/)?{body}"
    return _Rule(base, re.compile(regex, re.DOTALL), negated, dir_only)


def _translate(pattern: str) -> str:
    """Translate one gitignore glob (without its anchoring ``/``) into a regex body."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i) and (i == 0 or pattern[i - 1] == "/"):
                rest = pattern[i + 2 : i + 3]
                if rest == "/":  # "**/" : zero or more folders
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                if rest == "":  # trailing "/**": everything inside
                    out.append(".*")
                    i += 2
                    continue
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            start = i + 2 if pattern[i + 1 : i + 2] in ("!", "^") else i + 1
            if pattern[start : start + 1] == "]":  # a "]" first in a class is literal
                start += 1
            end = pattern.find("]", start)
            if end == -1:
                out.append(re.escape(c))
            else:
                inner = pattern[i + 1 : end]
                if inner[:1] in ("!", "^"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("[", "\\[") + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)
