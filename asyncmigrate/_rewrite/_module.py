"""Rewrite one file's text: parse, convert, fix imports, verify, and return a result value."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from collections import Counter
from collections.abc import Mapping

import libcst as cst

from asyncmigrate._rewrite._convert import ModuleConverter
from asyncmigrate._rewrite._imports import fix_imports
from asyncmigrate._rewrite._names import Names
from asyncmigrate._rewrite._result import Failure, Result, Skip, Success, Trap
from asyncmigrate._rewrite._tornado import COROUTINE, GEN_TEST
from asyncmigrate._rewrite._twisted import INLINE_CALLBACKS
from asyncmigrate._rewrite._unit import Unit

RULES = (COROUTINE, GEN_TEST, INLINE_CALLBACKS)

#: Every conversion id, with what it converts (``--select``/``--ignore``).
CONVERSIONS = {
    "coroutine": "Tornado @gen.coroutine generators to async def",
    "gen-test": "Tornado @gen_test generator tests to async def tests",
    "inline-callbacks": "Twisted @inlineCallbacks to @bridges.deferred_coroutine async def",
}

#: A file without any of these words has nothing to convert: it is not parsed by LibCST.
#: Every way to reach the decorators (aliases included) has the word in its import.
TRIGGERS = ("coroutine", "gen_test", "inlineCallbacks")


def decode(data: bytes) -> tuple[str, str]:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def syntax_check(path: str, text: str) -> ast.Module | Failure:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. in the input are not ours
            return ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 0
        message = getattr(exc, "msg", None) or str(exc)
        return Failure(
            path,
            f"does not compile under this Python: {message} (line {line}); "
            "Python 2 only syntax? left unchanged",
            traps=[Trap(path, line, "syntax", f"does not compile: {message}")],
        )


def rewrite_text(
    path: str,
    data: bytes,
    *,
    selected: frozenset[str] = frozenset(CONVERSIONS),
    blocked: Mapping[int, tuple[str, str]] | None = None,
    tree: ast.Module | None = None,
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
    try:
        module = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        return Failure(path, f"LibCST cannot parse it: {exc.message} (line {exc.raw_line})")
    unit = Unit(path, module, tree, Names(module), selected, blocked or {})
    try:
        new = module.visit(ModuleConverter(unit, RULES))
        if not unit.converted:
            return Success(path, text, text, [], sorted(unit.traps), encoding)
        before = Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
        after = {name for name, count in (before + unit.name_delta).items() if count > 0}
        after |= {name for name, count in unit.name_delta.items() if count > 0}
        new = fix_imports(new, set(before), after, unit.needs)
        code = new.code
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the input's own SyntaxWarnings are not ours
            compile(code, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return Failure(
            path,
            f"the rewritten file would not compile ({exc.msg}, line {exc.lineno}); left unchanged",
            traps=sorted(unit.traps),
        )
    except Exception as exc:  # a bug in a transformer must not stop the other files
        return Failure(path, f"internal error while rewriting: {type(exc).__name__}: {exc}")
    return Success(path, text, code, sorted(unit.converted), sorted(unit.traps), encoding)
