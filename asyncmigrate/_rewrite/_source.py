"""What the rewrite needs before LibCST: conversion ids, the text pre-filter, decoding, ``ast``.

Nothing here imports LibCST, so that a run over files with nothing to convert (``rewrite
--check`` from pre-commit on migrated code) never pays for importing it.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

from asyncmigrate._rewrite._result import Failure, Trap

#: Every conversion id, with what it converts (``--select``/``--ignore``).
CONVERSIONS = {
    "coroutine": "Tornado @gen.coroutine generators to async def",
    "gen-test": "Tornado @gen_test generator tests to async def tests",
    "inline-callbacks": "Twisted @inlineCallbacks to @bridges.deferred_coroutine async def",
}

#: The decorators that mark a candidate, by qualified name -> conversion id.
DECORATORS = {
    "tornado.gen.coroutine": "coroutine",
    "tornado.testing.gen_test": "gen-test",
    "twisted.internet.defer.inlineCallbacks": "inline-callbacks",
}

#: A file without any of these words has nothing to convert: it is not even parsed.
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


def _ast_dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _ast_dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _ast_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            found.append(stmt)
        elif isinstance(stmt, ast.If):
            found += _ast_imports(stmt.body) + _ast_imports(stmt.orelse)
        elif isinstance(stmt, ast.With):
            found += _ast_imports(stmt.body)
        elif isinstance(stmt, ast.Try):
            found += _ast_imports(stmt.body) + _ast_imports(stmt.orelse)
            for handler in stmt.handlers:
                found += _ast_imports(handler.body)
    return found


#: What ``from MODULE import *`` binds that the rewrite reads or writes, per module.
STAR_EXPORTS = {
    "tornado.gen": frozenset(
        {
            "coroutine",
            "engine",
            "Return",
            "Task",
            "moment",
            "multi",
            "multi_future",
            "with_timeout",
            "sleep",
            "maybe_future",
            "convert_yielded",
            "WaitIterator",
        }
    ),
    "tornado.testing": frozenset({"gen_test"}),
    "twisted.internet.defer": frozenset(
        {
            "inlineCallbacks",
            "returnValue",
            "Deferred",
            "DeferredList",
            "gatherResults",
            "maybeDeferred",
            "succeed",
            "fail",
        }
    ),
}


def _module_bindings(body: list[ast.stmt]) -> set[str]:
    """Names a module binds itself at top level (functions, classes, assignments)."""
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def import_aliases(tree: ast.Module) -> dict[str, str]:
    """Map each name bound by a module-level import to the qualified name it stands for.

    ``from tornado.gen import *`` binds the names of ``STAR_EXPORTS`` that the module does not
    import otherwise or define itself.
    """
    aliases: dict[str, str] = {}
    starred: list[str] = []
    for stmt in _ast_imports(tree.body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname is not None:
                    aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    aliases[head] = head
        elif not stmt.level and stmt.module is not None:
            for alias in stmt.names:
                if alias.name == "*":
                    starred.append(stmt.module)
                else:
                    aliases[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    if starred:
        own = _module_bindings(tree.body)
        for module in starred:
            for name in STAR_EXPORTS.get(module, ()):
                if name not in own:
                    aliases.setdefault(name, f"{module}.{name}")
    return aliases


def qualified_ast(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The qualified name an ``ast`` expression stands for (see `Names.qualified`)."""
    dotted = _ast_dotted(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    target = aliases.get(head)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target
