"""Twisted rules: ``@inlineCallbacks`` generators to ``@bridges.deferred_coroutine async def``.

``bridges.deferred_coroutine`` keeps the contract callers rely on: calling the function returns a
Deferred that has already started running, so ``.addCallback`` chains and ``yield f()`` in
unconverted code keep working. ``returnValue(v)`` becomes ``return v``.
"""

from __future__ import annotations

import libcst as cst

from asyncmigrate._rewrite._convert import NOT_AWAITABLE, FunctionConverter, Rules

DEFER = "twisted.internet.defer"

# A Deferred-driven ``yield`` of any of these gives the value back unchanged; ``await`` fails.
# Unlike Tornado (``gen.multi``), containers are not awaitable here either.
LITERALS = (*NOT_AWAITABLE, cst.List, cst.Dict, cst.ListComp, cst.DictComp)


def convert_yield(
    conv: FunctionConverter, node: cst.Yield, value: cst.BaseExpression | None
) -> cst.BaseExpression | None:
    if value is None or (isinstance(value, cst.Name) and value.value == "None"):
        conv.trap(
            node,
            "yield-moment",
            "inlineCallbacks sends None straight back for a bare `yield`/`yield None`; "
            "delete it, or `await deferLater(reactor, 0)` to give the reactor a turn",
            blocking=True,
        )
        return None
    if isinstance(value, LITERALS) or (
        isinstance(value, cst.Name) and value.value in {"True", "False"}
    ):
        conv.trap(
            node,
            "yield-literal",
            "inlineCallbacks sends a value that is not a Deferred straight back; await "
            "needs an awaitable (for several Deferreds use gatherResults)",
            blocking=True,
        )
        return None
    if isinstance(value, cst.Name) and "container" in conv.bound.get(value.value, set()):
        conv.trap(
            node,
            "yield-container-variable",
            f"`{value.value}` may hold a list or dict, which inlineCallbacks sends straight "
            "back; await needs an awaitable (gatherResults for several Deferreds)",
            blocking=True,
        )
        return None
    return value


def on_call(conv: FunctionConverter, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
    func = original.func
    if isinstance(func, cst.Attribute) and func.attr.value == "addCallbacks":
        conv.trap(
            original,
            "add-callbacks",
            "addCallbacks(cb, eb): eb does not see errors raised by cb, unlike "
            "addCallback(cb).addErrback(eb); as try/except, cb's code goes in `else:`",
            blocking=False,
        )
    return updated


INLINE_CALLBACKS = Rules(
    conversion="inline-callbacks",
    framework="twisted",
    decorators=frozenset({f"{DEFER}.inlineCallbacks"}),
    replacement="bridges.deferred_coroutine",
    keep_decorator=False,
    needs_generator=True,
    return_exception=None,
    return_function=f"{DEFER}.returnValue",
    swallowers=frozenset({"bare", "BaseException", f"{DEFER}._DefGen_Return"}),
    swallow_reason=(
        "`returnValue()` inside {where}, which catches it (it raises a BaseException): "
        "as `return` it would not be caught there"
    ),
    convert_yield=convert_yield,
    on_call=on_call,
)
