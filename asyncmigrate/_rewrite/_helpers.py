"""``raise gen.Return(v)`` outside any coroutine: a helper that ends its caller.

In Tornado, ``gen.Return`` is an exception that the coroutine runner catches: raised from a
plain function (``def finish(v): raise gen.Return(v)``) it escapes into the ``@gen.coroutine``
that called it and ends that one with ``v``. A native ``async def`` knows nothing of it: the
converted caller would raise ``tornado.gen.Return`` instead of returning. So each such
``raise`` is reported (its callers depend on it, in whatever file), and a Tornado coroutine of
the same file that calls the helper, directly or through plain functions that call it, is left
as it is.

It uses ``ast`` only (it runs in the first, cheap phase, on every file that mentions
``Return``). Calls are matched by name, like the whole-tree call check: a module-level helper
by ``finish(...)`` and ``x.finish(...)``, a method by ``self.finish(...)`` and ``x.finish(...)``,
a nested function by ``finish(...)`` inside the function that defines it. A false alarm leaves
a function unconverted, which is safe. A function with a coroutine-like decorator
(``gen.engine``, ``gen.coroutine``, any decorator whose name has ``coroutine`` or ``engine`` in
it) is taken for a coroutine: its runner catches the ``gen.Return``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from asyncmigrate._rewrite._callsites import callee
from asyncmigrate._rewrite._result import Trap
from asyncmigrate._rewrite._source import DECORATORS, qualified_ast

TRAP = "return-helper"
RETURN = "tornado.gen.Return"
#: Conversions whose functions are Tornado coroutines (a helper's gen.Return ends them).
TORNADO = frozenset({"coroutine", "gen-test"})
#: Decorators that run a function as a coroutine, whose runner catches its gen.Return.
RUNNERS = ("coroutine", "engine")

_Function = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass
class Helpers:
    """What one file gives the driver: the traps at the helpers' ``raise`` lines, and the
    Tornado coroutines to leave alone (``def`` line -> (trap id, reason))."""

    traps: list[Trap] = field(default_factory=list)
    blocked: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass
class _Def:
    node: _Function
    #: ``module``, ``class`` or ``local:START:END`` (the lines of the function it is nested in).
    scope: str
    #: The conversion its decorator asks for (whatever ``--select`` says), or None.
    conversion: str | None
    #: A generator, or decorated as a coroutine: a ``raise gen.Return`` in it ends itself.
    coroutine: bool
    raises: list[int]
    #: (name called, line, called on something: ``x.name()``) in its own scope.
    calls: list[tuple[str, int, bool]]

    def may_be_called_by(self, line: int, attribute: bool) -> bool:
        """Whether a call of its name at ``line`` may be a call of this function."""
        if self.scope == "module":
            return True
        if self.scope == "class":
            return attribute
        _, start, end = self.scope.split(":")
        return not attribute and int(start) <= line <= int(end)


def _own_scope(fn: _Function) -> Iterator[ast.AST]:
    """The nodes of ``fn``'s own scope: not those of the functions, lambdas and classes in it."""
    todo: list[ast.AST] = [*fn.args.defaults, *fn.body]
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def _decorators(fn: _Function, aliases: dict[str, str]) -> tuple[str | None, bool]:
    """The conversion its decorators ask for, and whether one of them runs it as a coroutine."""
    conversion, runner = None, False
    for decorator in fn.decorator_list:
        expr = decorator.func if isinstance(decorator, ast.Call) else decorator
        conversion = conversion or DECORATORS.get(qualified_ast(expr, aliases) or "")
        name = (qualified_ast(expr, aliases) or callee(expr) or "").rpartition(".")[2]
        runner = runner or any(word in name.lower() for word in RUNNERS)
    return conversion, runner or conversion is not None


def _read(fn: _Function, scope: str, aliases: dict[str, str]) -> _Def:
    raises: list[int] = []
    calls: list[tuple[str, int, bool]] = []
    conversion, coroutine = _decorators(fn, aliases)
    for node in _own_scope(fn):
        if isinstance(node, ast.Yield | ast.YieldFrom):
            coroutine = True
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if qualified_ast(exc, aliases) == RETURN:
                raises.append(node.lineno)
        elif isinstance(node, ast.Call) and (name := callee(node.func)) is not None:
            calls.append((name, node.lineno, isinstance(node.func, ast.Attribute)))
    return _Def(fn, scope, conversion, coroutine, sorted(raises), sorted(calls))


def _defs(tree: ast.Module, aliases: dict[str, str]) -> list[_Def]:
    """Every def not nested in a coroutine (a ``raise gen.Return`` in a function nested in a
    candidate is the converter's ``return-nested`` trap)."""
    found: list[_Def] = []

    def walk(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                read = _read(child, scope, aliases)
                found.append(read)
                if not read.coroutine:
                    walk(child, f"local:{child.lineno}:{child.end_lineno}")
            elif isinstance(child, ast.ClassDef):
                walk(child, "class")
            elif isinstance(child, ast.stmt | ast.ExceptHandler | ast.match_case):
                walk(child, scope)

    walk(tree, "module")
    return found


def return_helpers(path: str, tree: ast.Module, aliases: dict[str, str]) -> Helpers:
    """The plain functions of ``tree`` that raise ``gen.Return``, and the Tornado coroutines
    that call them (see the module docstring)."""
    out = Helpers()
    if not any(target == RETURN or RETURN.startswith(target + ".") for target in aliases.values()):
        return out
    defs = _defs(tree, aliases)
    plain = [d for d in defs if not d.coroutine]
    #: each helper, with how it ends its caller ("which raises gen.Return (line 6)")
    helpers: list[tuple[_Def, str]] = []
    for d in plain:
        if d.raises:
            name = d.node.name
            helpers.append((d, f"which raises gen.Return (line {d.raises[0]})"))
            for line in d.raises:
                out.traps.append(
                    Trap(
                        path,
                        line,
                        TRAP,
                        f"`raise gen.Return` in `{name}`, which is not a coroutine: under "
                        f"Tornado it ends the coroutine that calls `{name}` with that value, "
                        "but an `async def` caller would raise gen.Return instead; make "
                        f"`{name}` return the value and its callers `return {name}(...)`",
                    )
                )
    grew = True
    while grew:  # plain functions that call a helper let its gen.Return through too
        grew = False
        for d in plain:
            if any(h is d for h, _ in helpers):
                continue
            found = _calls_helper(d, helpers)
            if found is not None:
                helpers.append((d, found))
                grew = True
    for d in defs:
        if d.conversion in TORNADO:
            found = _calls_helper(d, helpers)
            if found is not None:
                out.blocked[d.node.lineno] = (
                    TRAP,
                    f"{found[len('which ') :]}, to end this coroutine: as `async def` that would "
                    "raise gen.Return instead of returning; make the helper return the value and "
                    "`return` it here",
                )
    return out


def _calls_helper(d: _Def, helpers: list[tuple[_Def, str]]) -> str | None:
    """How ``d`` reaches a helper ("which calls `finish` (line 9), which raises ..."), if it
    calls one."""
    for name, line, attribute in d.calls:
        for helper, how in helpers:
            if helper.node.name == name and helper.may_be_called_by(line, attribute):
                return f"which calls `{name}` (line {line}), {how}"
    return None
