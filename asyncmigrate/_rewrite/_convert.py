"""Turn one generator-based coroutine into ``async def``: the part shared by every framework.

The framework rules (:class:`Rules`, in ``_tornado.py`` and ``_twisted.py``) say which decorator
marks a candidate, what replaces it, how a yielded value is awaited and which exception carries a
return value. This module walks the function's own scope (nested functions, lambdas and classes
are their own business), applies them, and collects traps. A *blocking* trap leaves the whole
function as it was: a function is either fully converted (no ``yield`` left, so it can never turn
into an async generator) or untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from asyncmigrate._rewrite._result import Converted, Trap
from asyncmigrate._rewrite._unit import Unit

#: What a transformer may put where a statement was.
_Statement = cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel

#: A yield rule returns the expression to await, or None after recording a blocking trap.
YieldRule = Callable[
    ["FunctionConverter", cst.Yield, "cst.BaseExpression | None"], "cst.BaseExpression | None"
]


@dataclass(frozen=True)
class Rules:
    conversion: str
    framework: str
    #: Qualified names of the decorators that mark a candidate.
    decorators: frozenset[str]
    #: None: remove the decorator; else the qualified name of its replacement.
    replacement: str | None
    keep_decorator: bool
    needs_generator: bool
    #: ``tornado.gen.Return``: ``raise Return(v)`` becomes ``return v``.
    return_exception: str | None
    #: ``twisted.internet.defer.returnValue``: ``returnValue(v)`` becomes ``return v``.
    return_function: str | None
    #: Handler types (``bare`` for ``except:``) that would have caught the return.
    swallowers: frozenset[str]
    swallow_reason: str
    convert_yield: YieldRule
    #: Called for every call in the function's own scope (``addCallbacks`` notes, ``gen.Task``).
    on_call: Callable[[FunctionConverter, cst.Call, cst.Call], cst.BaseExpression] | None = None


#: Expressions that are never awaitable (literals, operators, lambdas...): yielding one is a trap.
NOT_AWAITABLE = (
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Tuple,
    cst.Set,
    cst.SetComp,
    cst.GeneratorExp,
    cst.Lambda,
    cst.Comparison,
    cst.BooleanOperation,
    cst.UnaryOperation,
    cst.BinaryOperation,
    cst.Ellipsis,
)


PRIMARY = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.List,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.DictComp,
    cst.SetComp,
    cst.GeneratorExp,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.Ellipsis,
)


def root_name(expr: cst.BaseExpression) -> str | None:
    """``gen`` for ``gen.Return(1)``: the name an expression reads first."""
    while True:
        if isinstance(expr, cst.Name):
            return expr.value
        if isinstance(expr, cst.Attribute):
            expr = expr.value
        elif isinstance(expr, cst.Call):
            expr = expr.func
        else:
            return None


def parenthesized(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` as it may follow ``await``: a primary, else wrapped in parentheses."""
    if expr.lpar or isinstance(expr, PRIMARY):
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def type_kinds(unit: Unit, nodes: Sequence[cst.BaseExpression]) -> set[str]:
    """The names exception types stand for: qualified when imported, else as written."""
    kinds: set[str] = set()
    for node in nodes:
        qualified = unit.names.qualified(node)
        if qualified:
            kinds.add(qualified)
        if isinstance(node, cst.Name):
            kinds.add(node.value)
    return kinds


def handler_kinds(
    unit: Unit, handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler]
) -> frozenset[str]:
    kinds: set[str] = set()
    for handler in handlers:
        if handler.type is None:
            kinds.add("bare")
            continue
        types = (
            [el.value for el in handler.type.elements]
            if isinstance(handler.type, cst.Tuple)
            else [handler.type]
        )
        kinds |= type_kinds(unit, types)
    return frozenset(kinds)


def suppressed_kinds(unit: Unit, item: cst.WithItem) -> frozenset[str] | None:
    """What ``with contextlib.suppress(...)`` swallows, by the rule of `handler_kinds`; None
    for any other context manager (its ``__exit__`` is not looked into)."""
    call = item.item
    if not unit.names.called(call, "contextlib.suppress"):
        return None
    assert isinstance(call, cst.Call)
    return frozenset(type_kinds(unit, [a.value for a in call.args if not a.star and not a.keyword]))


#: Where a return exception is caught, for a trap's reason (``{}``: the types that catch it).
_TRY = "a `try` whose `except {}`"
_SUPPRESS = "`with contextlib.suppress({})`"


class _RootScopeVisitor(cst.CSTVisitor):
    """Visits the function it is started on, and none of the functions or classes nested in it."""

    def __init__(self) -> None:
        self._root = True

    def _enter_root(self) -> bool:
        root, self._root = self._root, False
        return root

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self._enter_root()

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False


class _OwnScope(_RootScopeVisitor):
    """Yields and return calls in a scope, not in the scopes nested in it."""

    def __init__(self, unit: Unit, return_names: tuple[str, ...]) -> None:
        super().__init__()
        self.unit = unit
        self.return_names = return_names
        self.yields: list[cst.Yield] = []
        self.returns: list[cst.CSTNode] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return self._enter_root()  # a lambda may be the scope itself

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yields.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        if self.return_names and self.unit.names.is_(node.func, *self.return_names):
            self.returns.append(node)


class _Assignments(_RootScopeVisitor):
    """What each local name is bound to: ``container`` (list/dict), ``submit`` (an executor's
    concurrent Future) or ``other``; used to judge ``yield name``."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: dict[str, set[str]] = {}

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.kinds.setdefault(target.value, set()).add(value_kind(value))
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind(element.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.attr.value in {"append", "extend", "insert"}
        ):
            self.kinds.setdefault(func.value.value, set()).add("container")


def value_kind(value: cst.BaseExpression | None) -> str:
    if isinstance(value, cst.List | cst.Dict | cst.ListComp | cst.DictComp):
        return "container"
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Name) and func.value in {"list", "dict"}:
            return "container"
        if isinstance(func, cst.Attribute) and func.attr.value == "submit":
            return "submit"
    return "other"


class FunctionConverter(cst.CSTTransformer):
    """Converts the own scope of one function; nested scopes go back to the module converter."""

    def __init__(
        self, unit: Unit, rules: Rules, fn: cst.FunctionDef, outer: ModuleConverter
    ) -> None:
        self.unit = unit
        self.rules = rules
        self.fn = fn
        self.outer = outer
        self.blocking = False
        self.yield_count = 0
        self.yield_depth = 0
        self.comprehensions = 0
        self.local_traps: list[tuple[cst.CSTNode, str, str, bool]] = []
        self.nested: dict[int, _Statement] = {}
        #: id of a ``try`` or ``with suppress`` body -> (what it catches, where, for reasons).
        self._protected: dict[int, tuple[frozenset[str], str]] = {}
        self._catching: list[tuple[frozenset[str], str]] = []
        self._statement_calls: set[int] = set()
        self._bound: dict[str, set[str]] | None = None
        #: Names read that the conversion removes (-1) or adds (+1), for import upkeep.
        self.delta: Counter[str] = Counter()
        self._return_names = tuple(n for n in (rules.return_function, rules.return_exception) if n)

    @property
    def bound(self) -> dict[str, set[str]]:
        """What each local name is bound to; worked out on the first ``yield name``."""
        if self._bound is None:
            assignments = _Assignments()
            self.fn.visit(assignments)
            self._bound = assignments.kinds
        return self._bound

    def swapped(self, old: cst.BaseExpression | None, new: cst.BaseExpression | None) -> None:
        """Note that the expression ``old`` was replaced by ``new`` (names read change)."""
        for expr, step in ((old, -1), (new, 1)):
            name = root_name(expr) if expr is not None else None
            if name is not None:
                self.delta[name] += step

    # -- traps ---------------------------------------------------------------------------

    def trap(self, node: cst.CSTNode, trap_id: str, reason: str, *, blocking: bool) -> None:
        self.local_traps.append((node, trap_id, reason, blocking))
        if blocking:
            self.blocking = True

    def finish(self, converted: bool) -> None:
        if not self.local_traps:
            return
        lines = self.unit.lines(self.fn, [t[0] for t in self.local_traps])
        for line, (_, trap_id, reason, blocking) in zip(lines, self.local_traps, strict=True):
            self.unit.traps.append(
                Trap(self.unit.path, line, trap_id, reason, converted and not blocking)
            )

    # -- nested scopes -------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> _Statement:
        if self.outer.candidate(original) is None:
            self._check_nested(original, "a nested function")
        result = original.visit(self.outer)
        self.nested[id(original)] = result
        return result

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> _Statement:
        result = original.visit(self.outer)
        self.nested[id(original)] = result
        return result

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self._check_nested(node, "a lambda")
        return False

    def _check_nested(self, node: cst.FunctionDef | cst.Lambda, what: str) -> None:
        scope = _OwnScope(self.unit, self._return_names)
        node.visit(scope)
        if scope.yields:
            self.trap(
                scope.yields[0],
                "yield-nested",
                f"`yield` inside {what} makes that one a generator, not part of this coroutine",
                blocking=True,
            )
        for call in scope.returns:
            self.trap(
                call,
                "return-nested",
                f"the return value is raised from {what}: as `return` it would leave only "
                "that one, not this coroutine",
                blocking=True,
            )

    # -- try and suppress blocks: would the return exception have been caught? -----------

    def visit_Try(self, node: cst.Try) -> None:
        kinds = handler_kinds(self.unit, node.handlers)
        self._protected[id(node.body)] = (kinds, _TRY)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        kinds = handler_kinds(self.unit, node.handlers)
        self._protected[id(node.body)] = (kinds, _TRY)

    def visit_With(self, node: cst.With) -> None:
        found = [k for k in (suppressed_kinds(self.unit, i) for i in node.items) if k is not None]
        if found:
            kinds = frozenset[str]().union(*found)
            self._protected[id(node.body)] = (kinds, _SUPPRESS)

    def _enter_block(self, node: cst.BaseSuite) -> None:
        protected = self._protected.get(id(node))
        if protected is not None:
            self._catching.append(protected)

    def _leave_block(self, node: cst.BaseSuite) -> None:
        if id(node) in self._protected:
            self._catching.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_block(node)

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self._leave_block(original)
        return updated

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_block(node)  # `try: raise gen.Return(x)` on one line

    def leave_SimpleStatementSuite(
        self, original: cst.SimpleStatementSuite, updated: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        self._leave_block(original)
        return updated

    def _swallowed(self) -> str | None:
        """Where the return exception would be caught (for the trap's reason), or None."""
        for kinds, where in reversed(self._catching):  # the innermost catches first
            if kinds & self.rules.swallowers:
                return where.format(", ".join(sorted(kinds & self.rules.swallowers)))
        return None

    def _swallow_trap(self, node: cst.CSTNode) -> bool:
        where = self._swallowed()
        if where is None:
            return False
        self.trap(
            node,
            "return-swallowed",
            self.rules.swallow_reason.format(where=where),
            blocking=True,
        )
        return True

    # -- yields ----------------------------------------------------------------------------

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self.comprehensions += 1

    def leave_ListComp(self, original: cst.ListComp, updated: cst.ListComp) -> cst.ListComp:
        self.comprehensions -= 1
        return updated

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self.comprehensions += 1

    def leave_SetComp(self, original: cst.SetComp, updated: cst.SetComp) -> cst.SetComp:
        self.comprehensions -= 1
        return updated

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self.comprehensions += 1

    def leave_DictComp(self, original: cst.DictComp, updated: cst.DictComp) -> cst.DictComp:
        self.comprehensions -= 1
        return updated

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.comprehensions += 1

    def leave_GeneratorExp(
        self, original: cst.GeneratorExp, updated: cst.GeneratorExp
    ) -> cst.GeneratorExp:
        self.comprehensions -= 1
        return updated

    def visit_Yield(self, node: cst.Yield) -> None:
        self.yield_count += 1
        self.yield_depth += 1
        if self.comprehensions:
            # Python 3.8+ refuses this at compile time; as `await` it would compile (an async
            # comprehension) and mean something else.
            self.trap(
                node,
                "yield-nested",
                "`yield` inside a comprehension (a SyntaxError since Python 3.8)",
                blocking=True,
            )

    def leave_Yield(self, original: cst.Yield, updated: cst.Yield) -> cst.BaseExpression:
        self.yield_depth -= 1
        if isinstance(updated.value, cst.From):
            self.trap(
                original,
                "yield-from",
                "`yield from` delegates to a generator; `await` needs an awaitable",
                blocking=True,
            )
            return updated
        value = updated.value
        awaited = self.rules.convert_yield(self, original, value)
        if awaited is None:
            return updated
        final = parenthesized(awaited)
        space = updated.whitespace_after_yield
        if (
            value is None
            or awaited is not value
            or not isinstance(space, cst.SimpleWhitespace)
            or (not space.value and not final.lpar)
        ):
            space = cst.SimpleWhitespace(" ")
        return cst.Await(
            expression=final,
            lpar=updated.lpar,
            rpar=updated.rpar,
            whitespace_after_await=space,
        )

    # -- returns ---------------------------------------------------------------------------

    def visit_Expr(self, node: cst.Expr) -> None:
        self._statement_calls.add(id(node.value))

    def leave_Raise(self, original: cst.Raise, updated: cst.Raise) -> cst.BaseSmallStatement:
        exc = original.exc
        name = self.rules.return_exception
        if name is None or exc is None:
            return updated
        if not (self.unit.names.is_(exc, name) or self.unit.names.called(exc, name)):
            return updated
        if self._swallow_trap(original):
            return updated
        value = None
        if isinstance(updated.exc, cst.Call) and updated.exc.args:
            value = updated.exc.args[0].value
        self.swapped(exc.func if isinstance(exc, cst.Call) else exc, None)
        return cst.Return(value=value, semicolon=updated.semicolon)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = self.rules.return_function
        if name is not None and self.unit.names.is_(original.func, name):
            if id(original) not in self._statement_calls:
                self.trap(
                    original,
                    "return-misplaced",
                    "`returnValue(...)` inside an expression cannot become `return`",
                    blocking=True,
                )
            return updated
        if self.rules.on_call is not None:
            return self.rules.on_call(self, original, updated)
        return updated

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.BaseSmallStatement:
        name = self.rules.return_function
        call = original.value
        if name is None or not self.unit.names.called(call, name):
            return updated
        if self._swallow_trap(original):
            return updated
        assert isinstance(updated.value, cst.Call)
        self.swapped(updated.value.func, None)
        args = updated.value.args
        value = args[0].value if args else None
        return cst.Return(value=value, semicolon=updated.semicolon)


class _ReplaceNested(cst.CSTTransformer):
    """Put the already-converted nested scopes into a function left unchanged otherwise."""

    def __init__(self, nested: dict[int, _Statement]) -> None:
        self.nested = nested

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> _Statement:
        return self.nested.get(id(original), updated)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> _Statement:
        return self.nested.get(id(original), updated)


class ModuleConverter(cst.CSTTransformer):
    """Finds the candidate functions of a module and converts each with its framework rules."""

    def __init__(self, unit: Unit, rules: Sequence[Rules]) -> None:
        self.unit = unit
        self.rules = [r for r in rules if r.conversion in unit.selected]

    def candidate(self, fn: cst.FunctionDef) -> tuple[Rules, int] | None:
        for index, decorator in enumerate(fn.decorators):
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            qualified = self.unit.names.qualified(expr)
            if qualified is None:
                continue
            for rules in self.rules:
                if qualified in rules.decorators:
                    return rules, index
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.unit.def_order[id(node)] = len(self.unit.def_order)
        return self.candidate(node) is None

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # cannot hold a def: not walked, for speed

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> _Statement:
        found = self.candidate(original)
        if found is None:
            return updated
        return self.convert(original, *found)

    def convert(self, fn: cst.FunctionDef, rules: Rules, index: int) -> cst.FunctionDef:
        converter = FunctionConverter(self.unit, rules, fn, self)
        if fn.asynchronous is not None:
            return fn.with_changes(body=fn.body.visit(self))
        body = fn.body.visit(converter)
        if rules.needs_generator and converter.yield_count == 0 and not converter.blocking:
            converter.trap(
                fn,
                "not-a-generator",
                "inlineCallbacks on a function without `yield` raises TypeError when called",
                blocking=True,
            )
        blocked = self.unit.blocked.get(self.unit.def_line(fn)) if self.unit.blocked else None
        if blocked is not None:
            converter.trap(fn, blocked[0], blocked[1], blocking=True)
        converter.finish(not converter.blocking)
        if converter.blocking:
            return fn.with_changes(body=fn.body.visit(_ReplaceNested(converter.nested)))
        line, scope = self.unit.def_info(fn)
        self.unit.converted.append(
            Converted(self.unit.path, line, fn.name.value, rules.conversion, scope)
        )
        self.unit.name_delta.update(converter.delta)
        return fn.with_changes(
            asynchronous=cst.Asynchronous(),
            body=body,
            **_decorators(fn, index, rules, self.unit),
        )


def _decorators(fn: cst.FunctionDef, index: int, rules: Rules, unit: Unit) -> dict[str, object]:
    decorators = list(fn.decorators)
    if rules.keep_decorator:
        return {}
    old = decorators[index]
    unit.name_delta[root_name(old.decorator) or ""] -= 1
    if rules.replacement is not None:
        new = unit.name_for(rules.replacement)
        unit.name_delta[root_name(new) or ""] += 1
        decorators[index] = old.with_changes(decorator=new)
        return {"decorators": decorators}
    del decorators[index]
    changes: dict[str, object] = {"decorators": decorators}
    if old.leading_lines:
        if index < len(decorators):
            nxt = decorators[index]
            decorators[index] = nxt.with_changes(
                leading_lines=[*old.leading_lines, *nxt.leading_lines]
            )
        else:
            changes["lines_after_decorators"] = [*old.leading_lines, *fn.lines_after_decorators]
    return changes
