"""The whole-tree pass: where are the functions a rewrite would convert called from?

A ``@gen.coroutine`` function runs as soon as it is called and returns a Future; a native
coroutine does nothing until it is awaited. So a converted function called and not awaited
(``f()`` as a statement, ``io_loop.add_future(f(), cb)``, ``f().add_done_callback(cb)``, a
result stored and never awaited, a bound method handed to a callback API) would silently stop
running. This module indexes, per file and by function name, every call (or callback
reference) whose result is not consumed by ``await``/``yield`` or an API that starts awaitables
(``gen.multi``, ``asyncio.gather``, ``IOLoop.add_callback`` ...); a call returned by a plain
function is reported as ``returned``, and the driver checks that function's callers in turn.
It uses ``ast``, not LibCST: it must read every file of the tree, fast. Names are matched by
their last component (``self.fetch()`` matches every function named ``fetch``, within the scope
rules of ``Use.may_call``): a false alarm leaves a function unconverted, which is safe; a missed
one would not be. Other names for a function, within the file that makes them, count as the
function: ``from service import fetch as get``, ``get = self.fetch``,
``self.on_done = functools.partial(fetch, client)`` make ``get()`` and ``self.on_done()``
calls of ``fetch`` (followed through chains of such names).
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, replace

#: Calls that start (or take over) an awaitable passed to them.
STARTERS = frozenset(
    {
        "multi",
        "multi_future",
        "gather",
        "ensure_future",
        "create_task",
        "convert_yielded",
        "with_timeout",
        "wait_for",
        "wait",
        "shield",
        "as_completed",
        "run_until_complete",
        "run",
        "WaitIterator",
        "ensureDeferred",
        "fromCoroutine",
        "to_deferred",
        "to_future",
    }
)

#: Callback APIs that await what the callback returns (Tornado 6's IOLoop, PeriodicCallback).
CALLBACK_STARTERS = frozenset(
    {
        "add_callback",
        "spawn_callback",
        "add_callback_from_signal",
        "call_later",
        "call_at",
        "add_timeout",
        "run_sync",
        "PeriodicCallback",
        "coroutine",
        "gen_test",
    }
)

HOOKS = frozenset({"add_future", "add_done_callback"})
GENERATOR = frozenset({"send", "throw", "close", "next", "__next__"})
PASSTHROUGH = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Starred, ast.ListComp, ast.DictComp)


@dataclass(frozen=True)
class Use:
    """A call of (or a callback reference to) ``name`` whose result nobody awaits."""

    name: str
    line: int
    #: ``not-awaited``, ``add-future``, ``generator-protocol``, ``callback``, ``attribute``.
    kind: str
    detail: str
    #: ``bare`` (``f()``), ``self`` (``self.f()``, ``cls.f()``, ``super().f()``) or ``other``.
    receiver: str = "bare"
    #: For ``returned``: the plain function whose ``return`` hands the call's result on, its
    #: ``def`` line and its scope (as in ``_candidates.Def.scope``).
    via: str = ""
    via_line: int = 0
    via_scope: str = ""
    #: The call passes ``callback=``: Tornado < 6's ``gen.coroutine`` took one, so such a call
    #: means a coroutine (``async def`` refuses it), whatever the method is called.
    callback: bool = False

    def may_call(self, scope: str, path: str, here: str) -> bool:
        """Whether this use may reach a function named ``name`` defined in ``scope`` of
        ``path`` (``here`` is the file of this use)."""
        if scope == "module":
            return self.receiver != "self"
        kind, start, end = scope.split(":")[:3]
        inside = here == path and int(start) <= self.line <= int(end)
        if kind == "local":
            return inside and self.receiver == "bare"
        if self.receiver == "self":
            return inside
        return self.receiver == "other" and (self.callback or self.name not in COMMON_METHODS)


def _common_methods() -> frozenset[str]:
    import io
    import socket

    names: set[str] = set()
    for kind in (dict, list, set, str, bytes, bytearray, object, io.IOBase, socket.socket):
        names.update(n for n in dir(kind) if not n.startswith("__"))
    return frozenset(names)


#: Methods of everyday types (``d.get()``, ``f.close()``): a call of one of these on something
#: other than ``self`` is taken for that type's method, not for a converted coroutine.
COMMON_METHODS = _common_methods()


def _receiver(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return "bare"
    if isinstance(func, ast.Attribute):
        value = func.value
        if isinstance(value, ast.Name) and value.id in {"self", "cls"}:
            return "self"
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "super"
        ):
            return "self"
    return "other"


def callee(node: ast.expr) -> str | None:
    """The name ``f`` of ``f`` or ``x.f`` (what a call is matched by); None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)


class _Index:
    """One walk of a tree records every node's parent and, by name, the calls and references;
    `query` then judges only those of the names asked for (the walk is the cost: it is done
    once per file, and kept for the next rounds of the driver)."""

    def __init__(self, tree: ast.Module) -> None:
        self.parents: dict[int, ast.AST] = {}
        self.calls: dict[str, list[ast.Call]] = {}
        self.refs: dict[str, list[ast.Name | ast.Attribute]] = {}
        #: How often each name is read in the whole tree (the rewrite's import upkeep uses it).
        self.counts: Counter[str] = Counter()
        self.uses: list[Use] = []
        #: name -> the other names this file gives it, each with its receiver kind.
        self.aliases: dict[str, list[tuple[str, str]]] = {}
        self._consumed: dict[int, tuple[set[str], set[str]]] = {}
        parents, calls, refs, counts = self.parents, self.calls, self.refs, self.counts
        todo: list[ast.AST] = [tree]
        while todo:
            node = todo.pop()
            for child in ast.iter_child_nodes(node):
                parents[id(child)] = node
                todo.append(child)
                kind = type(child)
                if kind is ast.Call:
                    name = callee(child.func)  # type: ignore[attr-defined]
                    if name is not None:
                        calls.setdefault(name, []).append(child)  # type: ignore[arg-type]
                elif kind is ast.Name:
                    counts[child.id] += 1  # type: ignore[attr-defined]
                    refs.setdefault(child.id, []).append(child)  # type: ignore[attr-defined,arg-type]
                elif kind is ast.Attribute:
                    refs.setdefault(child.attr, []).append(child)  # type: ignore[attr-defined,arg-type]
                elif kind is ast.ImportFrom:
                    for alias in child.names:  # type: ignore[attr-defined]
                        if alias.asname is not None and alias.asname != alias.name:
                            self._alias(alias.name, alias.asname, "bare")
                elif kind is ast.Assign or kind is ast.AnnAssign:
                    self._assignment(child)  # type: ignore[arg-type]

    def _alias(self, name: str, other: str, receiver: str) -> None:
        self.aliases.setdefault(name, []).append((other, receiver))

    def _assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        """``x = f``, ``self.x = obj.f``, ``x = partial(f, ...)``: ``x`` is another name for
        ``f``."""
        value = node.value
        if isinstance(value, ast.Call) and callee(value.func) == "partial" and value.args:
            value = value.args[0]
        if not isinstance(value, ast.Name | ast.Attribute):
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        name = callee(value)
        for target in targets:
            other = callee(target)
            if name is not None and other is not None and other != name:
                self._alias(name, other, _receiver(value))

    def query(self, names: frozenset[str]) -> list[Use]:
        """The un-awaited calls of (and callback references to) ``names``, under any name this
        file gives them (reported under the function's own name)."""
        self.uses = []
        # alias -> (the function's name, the receiver kind its uses stand for, or None)
        wanted: dict[str, tuple[str, str | None]] = {name: (name, None) for name in names}
        todo = list(names)
        while todo:
            current = todo.pop()
            original, _ = wanted[current]
            for other, kind in self.aliases.get(current, ()):
                if other not in wanted:
                    wanted[other] = (original, kind)
                    todo.append(other)
        for alias, (name, receiver) in wanted.items():
            start = len(self.uses)
            for call in self.calls.get(alias, ()):
                self._call(call)
            for ref in self.refs.get(alias, ()):
                if isinstance(ref.ctx, ast.Load):
                    self._reference(ref)
            if alias != name:
                for index in range(start, len(self.uses)):
                    use = self.uses[index]
                    self.uses[index] = replace(
                        use,
                        name=name,
                        detail=f"under the name `{alias}`, {use.detail}",
                        receiver=receiver or use.receiver,
                    )
        self.uses.sort(key=lambda u: (u.line, u.name, u.kind))
        return [u for u in self.uses if u.kind != "other"]

    def _def_scope(self, fn: ast.FunctionDef) -> str:
        parent = self.parents.get(id(fn))
        while parent is not None and not isinstance(
            parent, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | ast.Module
        ):
            parent = self.parents.get(id(parent))
        if isinstance(parent, ast.ClassDef):
            return f"class:{parent.lineno}:{parent.end_lineno}"
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return f"local:{parent.lineno}:{parent.end_lineno}"
        return "module"

    def _scope_of(self, node: ast.AST) -> ast.AST:
        parent = self.parents.get(id(node))
        while parent is not None and not isinstance(parent, _SCOPES):
            parent = self.parents.get(id(parent))
        return parent if parent is not None else node

    def _consumption(self, scope: ast.AST) -> tuple[set[str], set[str]]:
        """Names of ``scope`` that are awaited (or handed to something that awaits them), and
        names passed to add_future; worked out once per scope, when a call result is stored."""
        cached = self._consumed.get(id(scope))
        if cached is not None:
            return cached
        consumed: set[str] = set()
        hooked: set[str] = set()
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            stack.extend(ast.iter_child_nodes(node))
            if isinstance(node, ast.Name):
                verdict = self._context(node)
                if verdict is None:
                    consumed.add(node.id)
                elif verdict[0] == "add-future":
                    hooked.add(node.id)
        self._consumed[id(scope)] = consumed, hooked
        return consumed, hooked

    def _call(self, node: ast.Call) -> None:
        name = callee(node.func)
        assert name is not None
        verdict = self._context(node)
        if verdict is None:
            return
        kind, detail = verdict
        if kind == "returned":
            fn = self._scope_of(node)
            if not isinstance(fn, ast.FunctionDef):
                return  # returned from a lambda, an async def or the module: handed on
            self.uses.append(
                Use(
                    name,
                    node.lineno,
                    "returned",
                    f"returned by `{fn.name}`",
                    _receiver(node.func),
                    fn.name,
                    fn.lineno,
                    self._def_scope(fn),
                )
            )
            return
        if kind == "assigned":
            consumed, hooked = self._consumption(self._scope_of(node))
            if detail in hooked:
                kind, detail = "add-future", f"stored in `{detail}` and passed to add_future"
            elif detail in consumed:
                return
            else:
                kind, detail = "not-awaited", f"stored in `{detail}`, never awaited"
        callback = any(k.arg == "callback" for k in node.keywords)
        if callback and kind == "not-awaited":
            detail += ", with `callback=` (gen.coroutine took one; async def does not)"
        self.uses.append(
            Use(name, node.lineno, kind, detail, _receiver(node.func), callback=callback)
        )

    def _reference(self, node: ast.Attribute | ast.Name) -> None:
        """A function handed over as a callback: fine only to APIs that await its result."""
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.keyword):
            parent = self.parents.get(id(parent))
        if not isinstance(parent, ast.Call) or parent.func is node:
            return
        taker = callee(parent.func)
        if taker in {"partial"}:
            outer = self.parents.get(id(parent))
            if isinstance(outer, ast.keyword):
                outer = self.parents.get(id(outer))
            taker = callee(outer.func) if isinstance(outer, ast.Call) else None
        if taker is None or taker in CALLBACK_STARTERS or taker in STARTERS:
            return
        name = callee(node)
        assert name is not None
        kind = "add-future" if taker in HOOKS else "callback"
        self.uses.append(
            Use(name, node.lineno, kind, f"passed as a callback to {taker}()", _receiver(node))
        )

    def _context(self, node: ast.expr) -> tuple[str, str] | None:
        """None when the value of ``node`` is awaited or handed to something that awaits it."""
        child: ast.AST = node
        parent = self.parents.get(id(node))
        while isinstance(parent, PASSTHROUGH) or (isinstance(parent, ast.comprehension) and False):
            child, parent = parent, self.parents.get(id(parent))
        if isinstance(parent, ast.keyword):
            child, parent = parent, self.parents.get(id(parent))
        if isinstance(parent, ast.Await | ast.Yield | ast.YieldFrom | ast.Lambda):
            return None
        if isinstance(parent, ast.Return):
            # handed to the caller: judged at the caller's calls (see ``_driver``)
            return ("returned", "") if isinstance(node, ast.Call) else None
        if isinstance(parent, ast.Call) and parent.func is not child:
            taker = callee(parent.func)
            if taker in STARTERS:
                return None
            if taker in HOOKS:
                return "add-future", f"passed to {taker}()"
            return "not-awaited", f"passed to {taker or 'a call'}() without await"
        if isinstance(parent, ast.Attribute):
            if parent.attr in GENERATOR:
                return "generator-protocol", f"driven as a generator (.{parent.attr})"
            if parent.attr in HOOKS:
                return "add-future", f"result used with .{parent.attr}()"
            return "attribute", f"result used with .{parent.attr}"
        if isinstance(parent, ast.Assign | ast.AnnAssign):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                return "assigned", targets[0].id
            return "not-awaited", "stored, never awaited"
        if isinstance(parent, ast.Expr):
            return "not-awaited", "called as a statement (fire and forget)"
        if isinstance(node, ast.Name):
            return "other", ""
        return "not-awaited", "result used without await"


def index(tree: ast.Module) -> _Index:
    """Walk ``tree`` once; ask the result for the un-awaited uses of some names (`_Index.query`)."""
    return _Index(tree)


def unawaited_uses(tree: ast.Module, names: frozenset[str]) -> list[Use]:
    """Every call of (or callback reference to) ``names`` in ``tree`` whose result is not
    awaited."""
    return _Index(tree).query(names)
