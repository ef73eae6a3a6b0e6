"""Rewrite one file's text: find the candidates with ``ast``, convert each with LibCST, fix
imports, verify, and return a result value.

Only the candidate functions are parsed with LibCST (each one alone, under an ``if 1:`` header
when it is indented, so that its text, strings included, is parsed as it stands); the converted
text replaces their lines. Everything else in the file is never re-generated, so it is kept
byte for byte, and the cost of the rewrite follows the size of what it converts.
"""

from __future__ import annotations

import ast
import warnings
from collections import Counter
from collections.abc import Mapping

import libcst as cst

from asyncmigrate._rewrite._candidates import find_defs, outermost_candidates
from asyncmigrate._rewrite._convert import ModuleConverter
from asyncmigrate._rewrite._imports import Edit, import_edits
from asyncmigrate._rewrite._names import Names
from asyncmigrate._rewrite._result import Converted, Failure, Result, Skip, Success, Trap
from asyncmigrate._rewrite._source import (
    CONVERSIONS,
    TRIGGERS,
    decode,
    import_aliases,
    syntax_check,
)
from asyncmigrate._rewrite._tornado import COROUTINE, GEN_TEST
from asyncmigrate._rewrite._twisted import INLINE_CALLBACKS
from asyncmigrate._rewrite._unit import Unit

RULES = (COROUTINE, GEN_TEST, INLINE_CALLBACKS)


def _apply(lines: list[str], edits: list[Edit]) -> str:
    out = list(lines)
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out[start:end] = [text] if text else []
    return "".join(out)


def rewrite_text(
    path: str,
    data: bytes,
    *,
    selected: frozenset[str] = frozenset(CONVERSIONS),
    blocked: Mapping[int, tuple[str, str]] | None = None,
    tree: ast.Module | None = None,
    name_counts: Counter[str] | None = None,
) -> Result:
    """Rewrite the source ``data`` of ``path``; never raises for bad input."""
    try:
        text, encoding = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return Failure(path, f"cannot decode: {exc}")
    if not any(word in text for word in TRIGGERS):
        return Skip(path, "nothing to convert")
    if tree is None:
        checked = syntax_check(path, text)
        if isinstance(checked, Failure):
            return checked
        tree = checked
    aliases = import_aliases(tree)
    candidates = outermost_candidates(find_defs(tree, aliases, selected))
    if not candidates:
        return Skip(path, "nothing to convert")
    names = Names(aliases)
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    edits: list[Edit] = []
    traps: list[Trap] = []
    converted: list[Converted] = []
    needs: set[str] = set()
    delta: Counter[str] = Counter()
    try:
        for candidate in candidates:
            start, end = candidate.first_line, candidate.node.end_lineno or candidate.line
            chunk = "".join(lines[start - 1 : end])
            header = "" if candidate.node.col_offset == 0 else "if 1:" + newline
            module = cst.parse_module(header + chunk)
            unit = Unit(path, names, selected, blocked or {}, defs=candidate.flat())
            new = module.visit(ModuleConverter(unit, RULES))
            traps += unit.traps
            if unit.converted:
                converted += unit.converted
                needs |= unit.needs
                delta.update(unit.name_delta)
                edits.append((start - 1, end, new.code[len(header) :]))
        if converted:
            before = name_counts
            if before is None:
                before = Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
            after = {name for name, count in (before + delta).items() if count > 0}
            edits += import_edits(tree, lines, set(before) - after, needs, newline)
            code = _apply(lines, edits)
            if code[:1] in "\r\n" and text[:1] not in "\r\n":
                code = code.lstrip("\r\n")  # the import that opened the file went
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the input's own SyntaxWarnings are not ours
                compile(code, path, "exec", dont_inherit=True)
        else:
            code = text
    except SyntaxError as exc:
        return Failure(
            path,
            f"the rewritten file would not compile ({exc.msg}, line {exc.lineno}); left unchanged",
            traps=sorted(traps),
        )
    except cst.ParserSyntaxError as exc:
        return Failure(path, f"LibCST cannot parse it: {exc.message} (line {exc.raw_line})")
    except Exception as exc:  # a bug in a transformer must not stop the other files
        return Failure(path, f"internal error while rewriting: {type(exc).__name__}: {exc}")
    return Success(path, text, code, sorted(converted), sorted(traps), encoding)
