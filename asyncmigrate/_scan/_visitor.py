"""Find the legacy patterns of one module with the standard library's ``ast``.

One pass over the tree records, per scope (module, class, function, lambda, comprehension), the
names it binds and the qualified names its imports give them, and queues what needs a name
resolved (decorators, calls, ``raise``). The queue is worked off once the whole module is read,
so Python's rule holds: a name is local to a scope if the scope binds it anywhere, even below the
use. That is how import aliases count (``from tornado import gen as g``,
``from twisted.internet.defer import inlineCallbacks as ic``, ``import tornado.gen``, an import
inside a function), a local function that happens to be called ``coroutine`` does not, and
``from tornado.gen import *`` makes ``coroutine`` mean ``tornado.gen.coroutine`` (a star import
gives a name only the catalogue's own meaning for it: see ``_KNOWN``).

Method calls whose receiver cannot be resolved statically (``d.addCallback``,
``IOLoop.current().add_callback``, ``cursor.each``) are matched by method name, each with the
guard documented next to it in ``docs/cli/scan.md`` to keep look-alikes out.

The function counts behind the migration-progress figure are made here too: every ``async def``
is native; a plain ``def`` is legacy when it is decorated with a legacy coroutine decorator
(``LEGACY_DECORATORS``), is a ``@gen_test`` generator, takes a parameter named ``callback``, or is
a generator driven by ``send()`` (it uses the value of a ``yield``). Each function counts once,
under the first of those kinds that applies.

The walk keeps its own stack instead of recursing, so generated modules with very long
expressions are scanned like any other.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from ._model import FileResult, Finding

__all__ = ["LEGACY_DECORATORS", "scan_source"]

#: Decorator qualified name -> (pattern id, legacy function kind).
LEGACY_DECORATORS = {
    "tornado.gen.coroutine": ("gen-coroutine", "gen.coroutine"),
    "tornado.gen.engine": ("gen-engine", "gen.engine"),
    "twisted.internet.defer.inlineCallbacks": ("inline-callbacks", "inlineCallbacks"),
    "asyncio.coroutine": ("asyncio-coroutine", "asyncio.coroutine"),
    "tornado.web.asynchronous": ("web-asynchronous", "web.asynchronous"),
    "tornado.concurrent.return_future": ("return-future", "return_future"),
}
GEN_TEST = "tornado.testing.gen_test"
GEN_RETURN = "tornado.gen.Return"
#: Decorators whose generator is driven by a coroutine runner: yielded lists/dicts are waited on.
RUNNERS = frozenset({"tornado.gen.coroutine", "tornado.gen.engine", GEN_TEST})
#: Generators with these decorators use ``yield`` for something else than ``send()``.
NOT_SEND_DRIVEN = frozenset(
    {
        "contextlib.contextmanager",
        "pytest.fixture",
        "pytest.yield_fixture",
        "twisted.internet.defer.inlineCallbacks",
        "asyncio.coroutine",
        "types.coroutine",
        "pytest.hookimpl",
    }
)

CALLS = {
    "tornado.gen.Task": "gen-task",
    "twisted.internet.defer.returnValue": "return-value",
    "twisted.internet.defer.DeferredList": "deferred-list",
    "twisted.internet.defer.gatherResults": "gather-results",
    "twisted.internet.task.deferLater": "defer-later",
    "twisted.internet.defer.maybeDeferred": "maybe-deferred",
    "twisted.internet.defer.Deferred": "deferred-by-hand",
}
DEFERRED_CHAIN_METHODS = frozenset(
    {"addCallback", "addErrback", "addBoth", "addCallbacks", "chainDeferred"}
)
IOLOOP_CALLBACK_METHODS = frozenset({"add_callback", "spawn_callback", "add_callback_from_signal"})
#: Motor 1.x/2.x methods that took ``callback=``; other calls with it are ``callback-argument``.
MOTOR_METHODS = frozenset(
    """aggregate authenticate bulk_write close collection_names command count count_documents
    create_collection create_index create_indexes delete_many delete_one distinct drop
    drop_collection drop_database drop_index drop_indexes ensure_index estimated_document_count
    explain find_and_modify find_one find_one_and_delete find_one_and_replace
    find_one_and_update group index_information inline_map_reduce insert insert_many insert_one
    list_collection_names list_database_names list_indexes map_reduce next_object remove rename
    replace_one save server_info to_list update update_many update_one""".split()  # noqa: SIM905
)
#: ``callback=`` of these is not asynchronous: command-line option callbacks.
CALLBACK_LOOKALIKE_PREFIXES = ("click.", "optparse.", "typer.")
CALLBACK_LOOKALIKE_METHODS = frozenset({"add_option"})

#: Every qualified name the catalogue asks about: what ``from module import *`` can bind.
_KNOWN = frozenset({*LEGACY_DECORATORS, GEN_TEST, GEN_RETURN, *CALLS, *NOT_SEND_DRIVEN})

_MOTOR_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+motor\b", re.MULTILINE)
_SEND_CALL = re.compile(r"\.send\s*\(")
_TORNADO_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+tornado\b", re.MULTILINE)
#: Line ends as the parser counts them (``str.splitlines`` also splits at form feeds and more).
_LINE_END = re.compile(r"\r\n|\r|\n")
_PY2_MARKERS = re.compile(
    rb"^[ \t]*(?:print[ \t]+[\"'\w]|exec[ \t]+[\"']|except[ \t]+[\w.]+[ \t]*,[ \t]*\w+[ \t]*:)"
    rb"|\b0\d+\b|\bur[\"']|`\w+`",
    re.MULTILINE,
)
_TOO_DEEP = "nested too deeply for the scanner"


def scan_source(path: str, source: bytes, *, full: bool = True) -> FileResult:
    """Scan one module's bytes; parse and decode errors become ``FileResult.error``.

    With ``full=False`` the module is only parsed and its ``async def`` functions counted, for a
    module the caller knows holds none of the words a pattern needs (``_runner.LEGACY_WORDS``).
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding)
    except SyntaxError as exc:  # a bad encoding declaration
        return FileResult(path, error_kind="encoding", error=exc.msg, error_line=exc.lineno)
    except UnicodeDecodeError as exc:
        line = source[: exc.start].count(b"\n") + 1
        return FileResult(path, error_kind="encoding", error=str(exc), error_line=line)
    except LookupError as exc:
        return FileResult(path, error_kind="encoding", error=str(exc))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the module's own SyntaxWarnings are not findings
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        message = exc.msg
        if _PY2_MARKERS.search(source):
            message += " (the file looks like Python 2 only code)"
        return FileResult(path, error_kind="syntax", error=message, error_line=exc.lineno)
    except ValueError as exc:  # null bytes, on Pythons before 3.12
        return FileResult(path, error_kind="syntax", error=str(exc))
    except (RecursionError, MemoryError):  # "Parser stack overflowed"
        return FileResult(path, error_kind="internal", error=_TOO_DEEP)
    if not full:
        native = sum(1 for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef))
        return FileResult(path, native=native)
    try:
        scanner = _Scanner(text, path)
        scanner.walk(tree)
        return scanner.result()
    except RecursionError:
        return FileResult(path, error_kind="internal", error=_TOO_DEEP)
    except Exception as exc:  # a bug on one odd file must not end the scan of a whole tree
        return FileResult(path, error_kind="internal", error=f"{type(exc).__name__}: {exc}")


# ----- scopes -------------------------------------------------------------------------------------

_MODULE, _CLASS, _FUNCTION, _COMPREHENSION = range(4)
_NOTHING: frozenset[str] = frozenset()


@dataclass(eq=False)
class _Scope:
    kind: int
    parent: _Scope | None
    #: Every name the scope binds -> the qualified names its imports give it (empty: no import).
    bound: dict[str, set[str]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)
    star_modules: list[str] = field(default_factory=list)

    def module(self) -> _Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def bind(self, name: str, qualified: str | None = None) -> None:
        scope = self
        if name in scope.declared_global:
            scope = scope.module()
        names = scope.bound.setdefault(name, set())
        if qualified:
            names.add(qualified)

    def bind_walrus(self, name: str) -> None:
        """``(x := ...)`` in a comprehension binds ``x`` in the scope around it."""
        scope = self
        while scope.kind == _COMPREHENSION and scope.parent is not None:
            scope = scope.parent
        scope.bind(name)

    def lookup(self, name: str) -> frozenset[str] | set[str]:
        """The qualified names ``name`` stands for here, by Python's rules for free names."""
        scope: _Scope | None = self
        first = True
        while scope is not None:
            if name in scope.declared_global:
                scope = scope.module()
            elif name in scope.declared_nonlocal:
                scope, first = scope.parent, False
                continue
            # A class body's names are not visible from the functions inside it.
            if (first or scope.kind != _CLASS) and name in scope.bound:
                return scope.bound[name]
            scope, first = scope.parent, False
        for module in self.module().star_modules:
            qualified = f"{module}.{name}"
            if qualified in _KNOWN:
                return {qualified}
        return _NOTHING


_Push: TypeAlias = Callable[[tuple[int, object, _Scope]], None]


def _dotted(node: ast.expr, *, through_calls: bool = False) -> tuple[str, list[str]] | None:
    """``("IOLoop", ["current", "add_callback"])`` for ``IOLoop.current().add_callback``."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif through_calls and isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            parts.reverse()
            return node.id, parts
        else:
            return None


def _qualified(node: ast.expr, scope: _Scope, *, through_calls: bool = False) -> set[str]:
    dotted = _dotted(node, through_calls=through_calls)
    if dotted is None:
        return set()
    head, rest = dotted
    targets = scope.lookup(head)
    if not rest:
        return set(targets)
    tail = ".".join(rest)
    return {f"{target}.{tail}" for target in targets}


# ----- the walk -----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    scope: _Scope  # where its decorators are evaluated
    symbol: str
    native: bool
    has_yield: bool = False
    uses_yield_value: bool = False
    #: ``yield [...]``/``yield {...}`` directly in it: findings if a runner drives it.
    yielded_containers: list[tuple[str, ast.Yield]] = field(default_factory=list)


_VISIT, _LEAVE_FUNCTION, _POP_SYMBOL = range(3)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
#: Node fields never worth descending into.
_SKIP_FIELDS = frozenset({"ctx", "type_comment"})
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _children(node: ast.AST) -> Iterator[ast.AST]:
    cls = type(node)
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in _SKIP_FIELDS)
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value


class _Scanner:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines = _LINE_END.split(text)
        self.imports_motor = bool(_MOTOR_IMPORT.search(text))
        self.imports_tornado = bool(_TORNADO_IMPORT.search(text))
        self.calls_send = bool(_SEND_CALL.search(text))
        self.findings: list[Finding] = []
        self.native = 0
        self.legacy: dict[str, int] = {}
        self._symbols: list[str] = []
        # The innermost function (None inside a lambda) for each yield.
        self._functions: list[_Function | None] = []
        self._finished: list[_Function] = []
        self._calls: list[tuple[ast.Call, _Scope, str | None]] = []
        self._raises: list[tuple[ast.Raise, _Scope, str | None]] = []
        self._statement_yields: set[int] = set()
        self._inner_chain_calls: set[int] = set()
        # x.send(None) primes a generator coroutine, or sends None down a multiprocessing pipe:
        # reported only if the module holds a generator driven by send().
        self._send_none_calls: list[tuple[ast.Call, str | None]] = []
        self._send_driven_generators = 0

    # -- reporting -----------------------------------------------------------------------------

    def _symbol(self) -> str | None:
        return ".".join(self._symbols) or None

    def _report(
        self, pattern: str, line: int, col_offset: int, symbol: str | None, *, at: str = ""
    ) -> None:
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        column = col_offset
        if not text.isascii():  # ast counts UTF-8 bytes, editors count characters
            column = len(text.encode()[:col_offset].decode("utf-8", "replace"))
        if at:  # move back to the "@" of a decorator
            found = text.rfind(at, 0, column)
            column = found if found >= 0 else column
        self.findings.append(Finding(pattern, line, column + 1, symbol, text.strip()[:160]))

    def _report_node(self, pattern: str, node: ast.AST, symbol: str | None) -> None:
        self._report(pattern, node.lineno, node.col_offset, symbol)  # type: ignore[attr-defined]

    # -- the walk ------------------------------------------------------------------------------

    def walk(self, tree: ast.Module) -> None:
        stack: list[tuple[int, object, _Scope]] = []
        module = _Scope(_MODULE, None)
        push = stack.append
        for child in reversed(tree.body):
            push((_VISIT, child, module))
        while stack:
            action, item, scope = stack.pop()
            if action == _VISIT:
                self._visit(item, scope, push)  # type: ignore[arg-type]
            elif action == _LEAVE_FUNCTION:
                function = self._functions.pop()
                if function is not None:
                    self._finished.append(function)
                self._symbols.pop()
            else:
                self._symbols.pop()

    def _push_all(self, push: _Push, nodes: Iterable[ast.AST | None], scope: _Scope) -> None:
        for node in reversed(list(nodes)):
            if node is not None:
                push((_VISIT, node, scope))

    def _visit(self, node: ast.AST, scope: _Scope, push: _Push) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._enter_function(node, scope, push)
            return
        if isinstance(node, ast.ClassDef):
            scope.bind(node.name)
            inner = _Scope(_CLASS, scope)
            self._symbols.append(node.name)
            push((_POP_SYMBOL, None, scope))
            self._push_all(push, node.body, inner)
            self._push_all(push, [*node.decorator_list, *node.bases, *node.keywords], scope)
            return
        if isinstance(node, ast.Lambda):
            inner = _Scope(_FUNCTION, scope)
            self._bind_arguments(node.args, inner)
            self._symbols.append("<lambda>")
            self._functions.append(None)
            push((_LEAVE_FUNCTION, None, scope))
            push((_VISIT, node.body, inner))
            self._push_all(push, [*node.args.defaults, *node.args.kw_defaults], scope)
            return
        if isinstance(node, _COMPREHENSIONS):
            self._enter_comprehension(node, scope, push)
            return
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                scope.bind(node.id)
            return
        if isinstance(node, ast.Call):
            self._calls.append((node, scope, self._symbol()))
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Yield):
                self._statement_yields.add(id(node.value))
        elif isinstance(node, ast.Yield | ast.YieldFrom):
            self._yield(node)
        elif isinstance(node, ast.Raise):
            self._raises.append((node, scope, self._symbol()))
        elif isinstance(node, ast.Import):
            self._import(node, scope)
            return
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node, scope)
            return
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)
            return
        elif isinstance(node, ast.Nonlocal):
            scope.declared_nonlocal.update(node.names)
            return
        elif isinstance(node, ast.NamedExpr):
            if isinstance(node.target, ast.Name):
                scope.bind_walrus(node.target.id)
            push((_VISIT, node.value, scope))
            return
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
            if node.name:
                scope.bind(node.name)
        elif isinstance(node, ast.MatchMapping):
            if node.rest:
                scope.bind(node.rest)
        elif isinstance(node, ast.Constant):
            return
        for child in reversed(list(_children(node))):
            push((_VISIT, child, scope))

    def _enter_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope, push: _Push
    ) -> None:
        scope.bind(node.name)
        inner = _Scope(_FUNCTION, scope)
        self._bind_arguments(node.args, inner)
        self._symbols.append(node.name)
        symbol = ".".join(self._symbols)
        native = isinstance(node, ast.AsyncFunctionDef)
        self.native += native
        self._functions.append(_Function(node, scope, symbol, native))
        push((_LEAVE_FUNCTION, None, scope))
        self._push_all(push, node.body, inner)
        args = node.args
        annotations = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        if args.vararg is not None:
            annotations.append(args.vararg.annotation)
        if args.kwarg is not None:
            annotations.append(args.kwarg.annotation)
        outer = [
            *node.decorator_list,
            *args.defaults,
            *args.kw_defaults,
            *annotations,
            node.returns,
        ]
        self._push_all(push, outer, scope)

    @staticmethod
    def _bind_arguments(args: ast.arguments, scope: _Scope) -> None:
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            scope.bind(arg.arg)
        if args.vararg is not None:
            scope.bind(args.vararg.arg)
        if args.kwarg is not None:
            scope.bind(args.kwarg.arg)

    def _enter_comprehension(
        self,
        node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        scope: _Scope,
        push: _Push,
    ) -> None:
        inner = _Scope(_COMPREHENSION, scope)
        elements: list[ast.AST] = (
            [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        )
        for index, generator in enumerate(node.generators):
            for name in ast.walk(generator.target):
                if isinstance(name, ast.Name):
                    inner.bind(name.id)
            elements += [generator.target, *generator.ifs]
            if index:
                elements.append(generator.iter)
        self._push_all(push, elements, inner)
        # The first iterable is evaluated in the scope around the comprehension.
        push((_VISIT, node.generators[0].iter, scope))

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        function = self._functions[-1] if self._functions else None
        if function is None:  # module level or a lambda
            return
        function.has_yield = True
        if isinstance(node, ast.YieldFrom):
            return
        if id(node) not in self._statement_yields:
            function.uses_yield_value = True
        if isinstance(node.value, ast.List | ast.ListComp):
            function.yielded_containers.append(("yield-list", node))
        elif isinstance(node.value, ast.Dict | ast.DictComp):
            function.yielded_containers.append(("yield-dict", node))

    def _import(self, node: ast.Import, scope: _Scope) -> None:
        for alias in node.names:
            if alias.name.startswith("tornado.stack_context"):
                self._report_node("stack-context", node, self._symbol())
            if alias.asname is not None:
                scope.bind(alias.asname, alias.name)
            else:
                head = alias.name.split(".")[0]
                scope.bind(head, head)

    def _import_from(self, node: ast.ImportFrom, scope: _Scope) -> None:
        module = node.module if not node.level else None
        if module is not None and (
            module.startswith("tornado.stack_context")
            or (module == "tornado" and any(a.name == "stack_context" for a in node.names))
        ):
            self._report_node("stack-context", node, self._symbol())
        for alias in node.names:
            if alias.name == "*":
                if module is not None:
                    scope.star_modules.append(module)
                continue
            target = f"{module}.{alias.name}" if module is not None else None
            scope.bind(alias.asname or alias.name, target)

    # -- after the walk: what needs names ------------------------------------------------------

    def result(self) -> FileResult:
        for call, scope, symbol in self._calls:
            self._call(call, scope, symbol)
        for raise_, scope, symbol in self._raises:
            exc = raise_.exc
            if isinstance(exc, ast.Call):
                exc = exc.func
            if exc is not None and GEN_RETURN in _qualified(exc, scope):
                self._report_node("gen-return", raise_, symbol)
        for function in self._finished:
            self._finish(function)
        if self._send_driven_generators:
            for call, symbol in self._send_none_calls:
                self._report_node("generator-send", call, symbol)
        unique = {(f.pattern, f.line): f for f in reversed(self.findings)}  # first on a line wins
        findings = sorted(unique.values(), key=lambda f: (f.line, f.column, f.pattern))
        return FileResult(self.path, findings=findings, native=self.native, legacy=self.legacy)

    def _finish(self, function: _Function) -> None:
        node, symbol = function.node, function.symbol
        decorators: dict[str, ast.expr] = {}
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            for name in sorted(_qualified(target, function.scope)):
                decorators.setdefault(name, decorator)
        for name, decorator in decorators.items():
            if name in LEGACY_DECORATORS:
                self._report(
                    LEGACY_DECORATORS[name][0],
                    decorator.lineno,
                    decorator.col_offset,
                    symbol,
                    at="@",
                )
        runner = any(name in RUNNERS for name in decorators)
        if runner:
            for pattern, yield_ in function.yielded_containers:
                self._report_node(pattern, yield_, symbol)
        if function.native:
            return
        kind = next(
            (LEGACY_DECORATORS[name][1] for name in decorators if name in LEGACY_DECORATORS),
            None,
        )
        if kind is None and GEN_TEST in decorators and function.has_yield:
            decorator = decorators[GEN_TEST]
            self._report(
                "gen-test-generator", decorator.lineno, decorator.col_offset, symbol, at="@"
            )
            kind = "gen_test"
        args = node.args
        callback = next(
            (a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if a.arg == "callback"),
            None,
        )
        if callback is not None:
            self._report_node("callback-parameter", callback, symbol)
            kind = kind or "callback"
        if (
            kind is None
            and function.uses_yield_value
            and self.calls_send
            and not runner
            and not any(name in NOT_SEND_DRIVEN for name in decorators)
        ):
            self._report_name(node, symbol)
            self._send_driven_generators += 1
            kind = "generator-send"
        if kind is not None:
            self.legacy[kind] = self.legacy.get(kind, 0) + 1

    def _report_name(self, node: ast.FunctionDef | ast.AsyncFunctionDef, symbol: str) -> None:
        """Report ``generator-send`` at the function's name, as an editor would point at it."""
        text = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        match = re.compile(rf"\bdef\s+({re.escape(node.name)})\b").search(text)
        if match is None:
            self._report_node("generator-send", node, symbol)
        else:
            self._report(
                "generator-send", node.lineno, len(text[: match.start(1)].encode()), symbol
            )

    def _call(self, node: ast.Call, scope: _Scope, symbol: str | None) -> None:
        func = node.func
        if isinstance(func, ast.Subscript):  # Deferred[int]() builds a Deferred too
            func = func.value
        qnames = _qualified(func, scope)
        for name in qnames:
            if name in CALLS:
                self._report_node(CALLS[name], node, symbol)
            elif name.startswith("tornado.stack_context."):
                self._report_node("stack-context", node, symbol)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if method is not None:
            self._method_call(node, method, scope, symbol)
        if any(k.arg == "callback" for k in node.keywords) and not self._lookalike(method, qnames):
            pattern = "motor-callback" if method in MOTOR_METHODS else "callback-argument"
            self._report_node(pattern, node, symbol)

    def _method_call(self, node: ast.Call, method: str, scope: _Scope, symbol: str | None) -> None:
        assert isinstance(node.func, ast.Attribute)
        receiver = node.func.value
        if method in DEFERRED_CHAIN_METHODS:
            # One finding per chain, at its start: mark the inner links as seen.
            inner = receiver
            while isinstance(inner, ast.Call) and _method_name(inner) in DEFERRED_CHAIN_METHODS:
                self._inner_chain_calls.add(id(inner))
                inner = inner.func.value  # type: ignore[attr-defined]
            if id(node) not in self._inner_chain_calls:
                self._report_node("deferred-callbacks", node, symbol)
        elif method == "add_future":
            self._report_node("ioloop-add-future", node, symbol)
        elif method in IOLOOP_CALLBACK_METHODS:
            # Guard: the receiver is Tornado's, or looks like a loop, or the module uses Tornado.
            if (
                self.imports_tornado
                or "loop" in ast.unparse(receiver).lower()
                or any(
                    name.startswith("tornado.")
                    for name in _qualified(node.func, scope, through_calls=True)
                )
            ):
                self._report_node("ioloop-add-callback", node, symbol)
        elif method == "each":
            # Guard: exactly one positional argument, on a Motor-looking receiver.
            if len(node.args) == 1 and not node.keywords and not _starred(node.args[0]):
                looks_motor = (
                    _method_name(receiver) == "find" or "cursor" in ast.unparse(receiver).lower()
                )
                if self.imports_motor or looks_motor:
                    self._report_node("motor-cursor-each", node, symbol)
        elif (
            # Priming a generator coroutine: gen.send(None).
            method == "send"
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value is None
        ):
            self._send_none_calls.append((node, symbol))

    def _lookalike(self, method: str | None, qnames: set[str]) -> bool:
        if method in CALLBACK_LOOKALIKE_METHODS:
            return True
        return any(name.startswith(CALLBACK_LOOKALIKE_PREFIXES) for name in qnames)


def _method_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _starred(node: ast.expr) -> bool:
    return isinstance(node, ast.Starred)
