"""Tornado rules: ``@gen.coroutine`` and ``@gen_test`` generators to ``async def``.

``yield x`` becomes ``await x``; lists and dicts go through ``gen.multi`` (it accepts both, and
nested ones, as ``yield`` did); ``gen.Task(f, ...)`` becomes ``bridges.from_callback(f, ...)``;
``raise gen.Return(v)`` becomes ``return v``. Bare ``yield``, ``yield None`` and ``gen.moment``
become ``await asyncio.sleep(0)`` (one loop iteration, as Tornado did for them).
"""

from __future__ import annotations

import libcst as cst

from asyncmigrate._rewrite._convert import NOT_AWAITABLE, FunctionConverter, Rules, value_kind

GEN = "tornado.gen"


def _not_awaitable(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.IfExp):
        return any(_not_awaitable(v) or _container(v) for v in (value.body, value.orelse))
    if isinstance(value, cst.Name) and value.value in {"True", "False"}:
        return True
    return isinstance(value, NOT_AWAITABLE)


def _container(value: cst.BaseExpression) -> bool:
    return value_kind(value) == "container" and not isinstance(value, cst.Call)


def convert_yield(
    conv: FunctionConverter, node: cst.Yield, value: cst.BaseExpression | None
) -> cst.BaseExpression | None:
    unit = conv.unit
    original = node.value
    assert not isinstance(original, cst.From)
    if (
        value is None
        or (isinstance(value, cst.Name) and value.value == "None")
        or (original is not None and unit.names.is_(original, f"{GEN}.moment"))
    ):
        conv.trap(
            node,
            "yield-moment",
            "a bare `yield`, `yield None` or `yield gen.moment` gives the loop one turn; "
            "the native form is `await asyncio.sleep(0)`",
            blocking=False,
        )
        sleep = unit.name_for("asyncio.sleep")
        conv.swapped(original, sleep)
        return cst.Call(func=sleep, args=[cst.Arg(value=cst.Integer("0"))])
    if _container(value):
        return _multi(conv, value)
    if _not_awaitable(value):
        conv.trap(
            node,
            "yield-literal",
            "yields a value that is not awaitable (Tornado raised BadYieldError or treated "
            "it specially); say what is meant by hand",
            blocking=True,
        )
        return None
    if isinstance(value, cst.Name):
        kinds = conv.bound.get(value.value, set())
        if "submit" in kinds:
            _concurrent(conv, node)
            return None
        if "container" in kinds:
            if "other" in kinds:
                conv.trap(
                    node,
                    "yield-container-variable",
                    f"`{value.value}` may hold a list or dict (yield waited for each item, "
                    "await does not); use `await gen.multi(...)` where it does",
                    blocking=True,
                )
                return None
            conv.trap(
                node,
                "yield-container-variable",
                f"`{value.value}` holds a list or dict: awaited through gen.multi",
                blocking=False,
            )
            return _multi(conv, value)
    if isinstance(original, cst.Call) and value_kind(original) == "submit":
        _concurrent(conv, node)
        return None
    if original is not None and unit.names.called(original, f"{GEN}.with_timeout"):
        conv.trap(
            node,
            "with-timeout",
            "gen.with_timeout takes a deadline and does not cancel the awaited work on "
            "timeout; asyncio.wait_for(aw, seconds) does",
            blocking=False,
        )
    return value


def _concurrent(conv: FunctionConverter, node: cst.Yield) -> None:
    conv.trap(
        node,
        "yield-concurrent-future",
        "a concurrent.futures.Future (executor.submit) is not awaitable; wrap it: "
        "`await asyncio.wrap_future(fut)`",
        blocking=True,
    )


def on_call(conv: FunctionConverter, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
    if not conv.unit.names.is_(original.func, f"{GEN}.Task"):
        return updated
    if conv.yield_depth == 0:
        conv.trap(
            original,
            "gen-task-stored",
            "gen.Task(...) outside a yield starts at once; bridges.from_callback(...) starts "
            "when awaited",
            blocking=True,
        )
        return updated
    func = conv.unit.name_for("bridges.from_callback")
    conv.swapped(original.func, func)
    return updated.with_changes(func=func)


def _multi(conv: FunctionConverter, value: cst.BaseExpression) -> cst.Call:
    multi = conv.unit.name_for(f"{GEN}.multi")
    conv.swapped(None, multi)
    return cst.Call(func=multi, args=[cst.Arg(value=value)])


_COMMON = dict(
    framework="tornado",
    replacement=None,
    needs_generator=False,
    return_exception=f"{GEN}.Return",
    return_function=None,
    swallowers=frozenset({"bare", "Exception", "BaseException", f"{GEN}.Return"}),
    swallow_reason=(
        "`raise gen.Return` inside {where}, which catches it (gen.Return is an Exception): "
        "as `return` it would not be caught there"
    ),
    convert_yield=convert_yield,
    on_call=on_call,
)

COROUTINE = Rules(
    conversion="coroutine",
    decorators=frozenset({f"{GEN}.coroutine"}),
    keep_decorator=False,
    **_COMMON,  # type: ignore[arg-type]
)

GEN_TEST = Rules(
    conversion="gen-test",
    decorators=frozenset({"tornado.testing.gen_test"}),
    keep_decorator=True,
    **_COMMON,  # type: ignore[arg-type]
)
