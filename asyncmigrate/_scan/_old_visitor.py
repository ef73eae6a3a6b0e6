"""Find the legacy patterns of one module with libcst (needs the ``rewrite`` extra).

Names are resolved with libcst's scope analysis (``ScopeProvider``, asked with
``Scope.get_qualified_names_for`` only for the nodes that matter: exactly what
``QualifiedNameProvider`` answers, without its pass over every node, which costs a third of the
scan on big modules), so import aliases count
(``from tornado import gen as g``, ``from twisted.internet.defer import inlineCallbacks as ic``,
``import tornado.gen``) and a local function that happens to be called ``coroutine`` does not.
Method calls whose receiver cannot be resolved statically (``d.addCallback``,
``IOLoop.current().add_callback``, ``cursor.each``) are matched by method name, each with the
guard documented next to it in ``docs/cli/scan.md`` to keep look-alikes out.

The function counts behind the migration-progress figure are made here too: every ``async def``
is native; a plain ``def`` is legacy when it is decorated with a legacy coroutine decorator
(``LEGACY_DECORATORS``), is a ``@gen_test`` generator, takes a parameter named ``callback``, or is
a generator driven by ``send()`` (it uses the value of a ``yield``). Each function counts once,
under the first of those kinds that applies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

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

_MOTOR_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+motor\b", re.MULTILINE)
_SEND_CALL = re.compile(r"\.send\s*\(")
_TORNADO_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+tornado\b", re.MULTILINE)
_PARSER_AT = re.compile(r"error at (\d+):(\d+)")
_PY2_MARKERS = re.compile(
    rb"^[ \t]*(?:print[ \t]+[\"'\w]|exec[ \t]+[\"']|except[ \t]+[\w.]+[ \t]*,[ \t]*\w+[ \t]*:)"
    rb"|\b0\d+\b|\bur[\"']|`\w+`",
    re.MULTILINE,
)

_EMPTY_MODULE = cst.Module(body=[])


def scan_source(path: str, source: bytes, *, full: bool = True) -> FileResult:
    """Scan one module's bytes; parse and decode errors become ``FileResult.error``.

    With ``full=False`` the module is only parsed and its ``async def`` functions counted, for a
    module the caller knows holds none of the words a pattern needs (``_runner.LEGACY_WORDS``).
    """
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        match = _PARSER_AT.search(exc.message)
        line = int(match.group(1)) if match else exc.raw_line
        message = exc.message
        if _PY2_MARKERS.search(source):
            message += " (the file looks like Python 2 only code)"
        return FileResult(path, error_kind="syntax", error=message, error_line=line)
    except SyntaxError as exc:  # raised for a bad or missing encoding declaration
        return FileResult(path, error_kind="encoding", error=str(exc))
    except UnicodeDecodeError as exc:
        line = source[: exc.start].count(b"\n") + 1
        return FileResult(path, error_kind="encoding", error=str(exc), error_line=line)
    except LookupError as exc:
        return FileResult(path, error_kind="encoding", error=str(exc))
    except RecursionError:
        return FileResult(path, error_kind="internal", error="nested too deeply for the scanner")
    try:
        return _analyse(path, module, full=full)
    except RecursionError:
        return FileResult(path, error_kind="internal", error="nested too deeply for the scanner")
    except Exception as exc:  # a bug on one odd file must not end the scan of a whole tree
        return FileResult(path, error_kind="internal", error=f"{type(exc).__name__}: {exc}")


def _analyse(path: str, module: cst.Module, *, full: bool) -> FileResult:
    if not full:
        counter = _NativeCounter()
        module.visit(counter)
        return FileResult(path, native=counter.native)
    text = module.code
    visitor = _Visitor(
        text.splitlines(),
        imports_motor=bool(_MOTOR_IMPORT.search(text)),
        imports_tornado=bool(_TORNADO_IMPORT.search(text)),
        calls_send=bool(_SEND_CALL.search(text)),
    )
    MetadataWrapper(module, unsafe_skip_copy=True).visit(visitor)
    unique = {(f.pattern, f.line): f for f in reversed(visitor.findings)}  # first on a line wins
    findings = sorted(unique.values(), key=lambda f: (f.line, f.column, f.pattern))
    return FileResult(path, findings=findings, native=visitor.native, legacy=visitor.legacy)


class _NativeCounter(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.native = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None:
            self.native += 1


@dataclass
class _Function:
    node: cst.FunctionDef
    name: str
    decorators: dict[str, cst.Decorator]  # qualified name -> decorator node
    has_yield: bool = False
    uses_yield_value: bool = False
    runner: bool = False


class _Visitor(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider)

    def __init__(
        self,
        lines: Sequence[str],
        *,
        imports_motor: bool,
        imports_tornado: bool,
        calls_send: bool,
    ) -> None:
        super().__init__()
        self.calls_send = calls_send
        self.lines = lines
        self.imports_motor = imports_motor
        self.imports_tornado = imports_tornado
        self.findings: list[Finding] = []
        self.native = 0
        self.legacy: dict[str, int] = {}
        self._scopes: list[str] = []
        self._functions: list[_Function] = []
        self._statement_yields: set[int] = set()
        self._inner_chain_calls: set[int] = set()
        # x.send(None) primes a generator coroutine, or sends None down a multiprocessing pipe:
        # reported only if the module holds a generator driven by send().
        self._send_none_calls: list[tuple[cst.Call, str | None]] = []
        self._send_driven_generators = 0

    # -- helpers -------------------------------------------------------------------------------

    def _qnames(self, node: cst.CSTNode) -> set[str]:
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return set()
        return {q.name for q in scope.get_qualified_names_for(node)}

    def _symbol(self) -> str | None:
        return ".".join(self._scopes) or None

    def _report(self, pattern: str, node: cst.CSTNode, symbol: str | None = None) -> None:
        start = self.get_metadata(PositionProvider, node).start
        code = self.lines[start.line - 1].strip() if start.line <= len(self.lines) else ""
        symbol = symbol or self._symbol()
        self.findings.append(Finding(pattern, start.line, start.column + 1, symbol, code[:160]))

    @staticmethod
    def _code(node: cst.CSTNode) -> str:
        return _EMPTY_MODULE.code_for_node(node)

    # -- scopes and functions ------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        decorators: dict[str, cst.Decorator] = {}
        for decorator in node.decorators:
            target = decorator.decorator
            if isinstance(target, cst.Call):
                target = target.func
            for name in self._qnames(target):
                decorators.setdefault(name, decorator)
        self._scopes.append(node.name.value)
        runner = any(name in RUNNERS for name in decorators)
        self._functions.append(_Function(node, node.name.value, decorators, runner=runner))
        for name, decorator in decorators.items():
            if name in LEGACY_DECORATORS:
                self._report(LEGACY_DECORATORS[name][0], decorator)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        function = self._functions.pop()
        node = function.node
        if node.asynchronous is not None:
            self.native += 1
            self._scopes.pop()
            return
        kind = next(
            (
                LEGACY_DECORATORS[name][1]
                for name in function.decorators
                if name in LEGACY_DECORATORS
            ),
            None,
        )
        if kind is None and GEN_TEST in function.decorators and function.has_yield:
            self._report("gen-test-generator", function.decorators[GEN_TEST])
            kind = "gen_test"
        callback = _callback_parameter(node.params)
        if callback is not None:
            self._report("callback-parameter", callback)
            kind = kind or "callback"
        if (
            kind is None
            and function.uses_yield_value
            and self.calls_send
            and not function.runner
            and not any(name in NOT_SEND_DRIVEN for name in function.decorators)
        ):
            self._report("generator-send", node.name)
            self._send_driven_generators += 1
            kind = "generator-send"
        if kind is not None:
            self.legacy[kind] = self.legacy.get(kind, 0) + 1
        self._scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.append("<lambda>")

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._scopes.pop()

    # -- yields --------------------------------------------------------------------------------

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Yield):
            self._statement_yields.add(id(node.value))

    def visit_Yield(self, node: cst.Yield) -> None:
        if not self._functions or (self._scopes and self._scopes[-1] == "<lambda>"):
            return
        function = self._functions[-1]
        function.has_yield = True
        if isinstance(node.value, cst.From):
            return
        if id(node) not in self._statement_yields:
            function.uses_yield_value = True
        if function.runner:
            if isinstance(node.value, cst.List | cst.ListComp):
                self._report("yield-list", node)
            elif isinstance(node.value, cst.Dict | cst.DictComp):
                self._report("yield-dict", node)

    # -- raise, imports ------------------------------------------------------------------------

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if isinstance(exc, cst.Call):
            exc = exc.func
        if exc is not None and "tornado.gen.Return" in self._qnames(exc):
            self._report("gen-return", node)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if self._code(alias.name).startswith("tornado.stack_context"):
                self._report("stack-context", node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or node.relative:
            return
        module = self._code(node.module)
        if module.startswith("tornado.stack_context") or (
            module == "tornado"
            and not isinstance(node.names, cst.ImportStar)
            and any(self._code(alias.name) == "stack_context" for alias in node.names)
        ):
            self._report("stack-context", node)

    # -- calls ---------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        qnames = self._qnames(node.func)
        for name in qnames:
            if name in CALLS:
                self._report(CALLS[name], node)
            elif name.startswith("tornado.stack_context."):
                self._report("stack-context", node)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if method is not None:
            self._method_call(node, method, qnames)
        if any(_is_callback_keyword(arg) for arg in node.args) and not self._lookalike(
            method, qnames
        ):
            self._report("motor-callback" if method in MOTOR_METHODS else "callback-argument", node)

    def _method_call(self, node: cst.Call, method: str, qnames: set[str]) -> None:
        assert isinstance(node.func, cst.Attribute)
        receiver = node.func.value
        if method in DEFERRED_CHAIN_METHODS:
            # One finding per chain, at its start: mark the inner links as seen.
            inner = receiver
            while isinstance(inner, cst.Call) and _method_name(inner) in DEFERRED_CHAIN_METHODS:
                self._inner_chain_calls.add(id(inner))
                inner = inner.func.value  # type: ignore[attr-defined]
            if id(node) not in self._inner_chain_calls:
                self._report("deferred-callbacks", node)
        elif method == "add_future":
            self._report("ioloop-add-future", node)
        elif method in IOLOOP_CALLBACK_METHODS:
            # Guard: the receiver is Tornado's, or looks like a loop, or the module uses Tornado.
            if (
                any(name.startswith("tornado.") for name in qnames)
                or "loop" in self._code(receiver).lower()
                or self.imports_tornado
            ):
                self._report("ioloop-add-callback", node)
        elif method == "each":
            # Guard: exactly one positional argument, on a Motor-looking receiver.
            positional = [a for a in node.args if a.keyword is None and a.star == ""]
            if len(positional) == 1 and len(node.args) == 1:
                text = self._code(receiver)
                looks_motor = "cursor" in text.lower() or _method_name(receiver) == "find"
                if self.imports_motor or looks_motor:
                    self._report("motor-cursor-each", node)
        elif (
            # Priming a generator coroutine: gen.send(None).
            method == "send"
            and len(node.args) == 1
            and isinstance(node.args[0].value, cst.Name)
            and node.args[0].value.value == "None"
        ):
            self._send_none_calls.append((node, self._symbol()))

    def leave_Module(self, original_node: cst.Module) -> None:
        if self._send_driven_generators:
            for node, symbol in self._send_none_calls:
                self._report("generator-send", node, symbol)

    def _lookalike(self, method: str | None, qnames: set[str]) -> bool:
        if method in CALLBACK_LOOKALIKE_METHODS:
            return True
        return any(name.startswith(CALLBACK_LOOKALIKE_PREFIXES) for name in qnames)


def _method_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


def _is_callback_keyword(arg: cst.Arg) -> bool:
    return arg.keyword is not None and arg.keyword.value == "callback"


def _callback_parameter(params: cst.Parameters) -> cst.Param | None:
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == "callback":
            return param
    return None
