"""`to_future`, `to_deferred` and the decorators built on them.

Both converters are `functools.singledispatch` functions keyed on the type of what they are
given, so support for another future type is one ``register`` call, not another branch (the
shape of Tornado's ``gen.convert_yielded``)::

    bridges._convert.future_converter.register(MyFuture)(my_future_to_asyncio)

Framework-specific conversions live in one module per framework (`bridges._twisted` for
Deferreds); this module only dispatches.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

from twisted.internet.defer import Deferred

from bridges import _reactor, _twisted

__all__ = [
    "async_api",
    "deferred_api",
    "deferred_converter",
    "deferred_coroutine",
    "future_converter",
    "to_deferred",
    "to_future",
]

_T = TypeVar("_T")
_P = ParamSpec("_P")


# -- to_future ------------------------------------------------------------------------------


@functools.singledispatch
def future_converter(obj: object, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    """Convert ``obj`` to an asyncio future on ``loop`` (the default: any awaitable)."""
    if inspect.isawaitable(obj):
        return asyncio.ensure_future(obj, loop=loop)
    raise TypeError(
        f"to_future() needs a Deferred, a future, a coroutine or an awaitable, "
        f"not {type(obj).__qualname__}: {obj!r}"
    )


@future_converter.register(Deferred)
def _(obj: Deferred[Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    return _twisted.deferred_to_future(obj, loop)


@future_converter.register(asyncio.Future)
def _(obj: asyncio.Future[Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    if obj.get_loop() is loop:
        return obj
    # A future of another loop (in another thread): follow it thread-safely.
    return asyncio.wrap_future(_to_concurrent(obj), loop=loop)


@future_converter.register(concurrent.futures.Future)
def _(obj: concurrent.futures.Future[Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    # The outcome is delivered with call_soon_threadsafe: on the loop thread, never the worker.
    return asyncio.wrap_future(obj, loop=loop)


@future_converter.register(Coroutine)
def _(obj: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
    return loop.create_task(obj)


def _to_concurrent(future: asyncio.Future[_T]) -> concurrent.futures.Future[_T]:
    result: concurrent.futures.Future[_T] = concurrent.futures.Future()
    source_loop = future.get_loop()

    def copy(done: asyncio.Future[_T]) -> None:
        if done.cancelled():
            result.cancel()
        elif (exc := done.exception()) is not None:
            result.set_exception(exc)
        else:
            result.set_result(done.result())

    def cancel_source(done: concurrent.futures.Future[_T]) -> None:
        if done.cancelled() and not source_loop.is_closed():
            source_loop.call_soon_threadsafe(future.cancel)

    future.add_done_callback(copy)
    result.add_done_callback(cancel_source)
    return result


# The running loop, as asyncio's own functions get it (C-accelerated, no exception when none).
_get_running_loop = asyncio._get_running_loop


def to_future(
    obj: Awaitable[_T] | Deferred[_T] | concurrent.futures.Future[_T],
) -> asyncio.Future[_T]:
    """Return an asyncio future, on the running loop, with the outcome of ``obj``.

    ``obj`` may be a Deferred, an asyncio or Tornado future, a ``concurrent.futures.Future``, a
    coroutine or any awaitable. The result, or the exception (same type, same traceback frames),
    passes through unchanged.

    - Deferred: its own result is **not** consumed; callbacks added to it later still see the
      value or failure. An already-fired Deferred gives an already-done future (awaiting it
      takes no loop turn). Cancelling the future cancels the Deferred at once (its canceller
      runs before ``cancel()`` returns); the failure that leaves behind is
      not reported as unhandled. A Deferred cancelled on the Twisted side (failing with
      ``defer.CancelledError``) cancels the future: the awaiting task sees
      ``asyncio.CancelledError``.
    - ``concurrent.futures.Future``: its outcome is delivered on the loop thread.
    - Coroutine or awaitable: scheduled as a Task in the current ``contextvars`` context.

    Raises ``TypeError`` for anything else.
    """
    loop = _get_running_loop()
    if loop is None:
        try:
            loop = _reactor.current_loop()
        except RuntimeError:
            if inspect.iscoroutine(obj):
                obj.close()  # it will never run: no "never awaited" warning on top of the error
            raise
    if type(obj) is Deferred:  # the hot path, without a lookup
        return _twisted.deferred_to_future(obj, loop)
    return future_converter(obj, loop)


# -- to_deferred ----------------------------------------------------------------------------


@functools.singledispatch
def deferred_converter(obj: object) -> Deferred[Any]:
    """Convert ``obj`` to a Deferred (the default: any awaitable or future)."""
    if not (inspect.isawaitable(obj) or isinstance(obj, concurrent.futures.Future)):
        raise TypeError(
            f"to_deferred() needs a coroutine, an awaitable or a future, "
            f"not {type(obj).__qualname__}: {obj!r}"
        )
    return _twisted.future_to_deferred(to_future(obj))


@deferred_converter.register(Deferred)
def _(obj: Deferred[Any]) -> Deferred[Any]:
    return obj


@deferred_converter.register(asyncio.Future)
def _(obj: asyncio.Future[Any]) -> Deferred[Any]:
    return _twisted.future_to_deferred(to_future(obj))


def to_deferred(obj: Awaitable[_T] | Deferred[_T] | concurrent.futures.Future[_T]) -> Deferred[_T]:
    """Return a Deferred with the outcome of a coroutine, awaitable or future.

    A coroutine runs as an asyncio Task on the running loop (so it can await anything asyncio),
    in a copy of the caller's ``contextvars`` context: it sees the caller's values, and values it
    sets do not leak out. The Deferred's callbacks run on the loop thread in the caller's context.

    Cancellation maps both ways: ``d.cancel()`` cancels the task and ``d`` fails with
    ``twisted.internet.defer.CancelledError`` (so ``d.addTimeout(t, reactor)`` fails with
    ``defer.TimeoutError``); cancelling before the task has started logs nothing; a task
    cancelled from the asyncio side also fails ``d`` with ``defer.CancelledError``.

    Inside a Twisted-driven coroutine (``ensureDeferred``, ``@inlineCallbacks``),
    ``await to_deferred(x)`` / ``yield to_deferred(x)`` is how to wait for asyncio work.
    A Deferred is returned as it is.
    """
    if isinstance(obj, Deferred):
        return obj
    kind = type(obj)
    if (kind is asyncio.Future or kind is asyncio.Task) and (
        cast(asyncio.Future[_T], obj).get_loop() is _reactor.current_loop()
    ):
        return _twisted.future_to_deferred(cast(asyncio.Future[_T], obj))
    return deferred_converter(obj)


# -- decorators -----------------------------------------------------------------------------


def deferred_api(fn: Callable[_P, Awaitable[_T]]) -> Callable[_P, Deferred[_T]]:
    """Decorate an ``async def`` so that calling it returns a Deferred (for legacy callers).

    The coroutine runs as an asyncio Task (see `to_deferred`), so it needs the asyncio reactor.
    ``functools.wraps`` metadata and the signature are kept.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Deferred[_T]:
        return to_deferred(fn(*args, **kwargs))

    return wrapper


def async_api(fn: Callable[_P, Deferred[_T]]) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """Decorate a Deferred-returning (or ``@inlineCallbacks``) function for asyncio callers.

    The decorated function is a coroutine function: ``await f(...)`` works from any asyncio
    coroutine, and ``asyncio.create_task(f(...))`` too. The wrapped function is called when the
    coroutine starts; its Deferred is awaited through `to_future` (cancelling the await cancels
    the Deferred). A return value that is not a Deferred or awaitable raises ``TypeError``.
    ``functools.wraps`` metadata and the signature are kept.
    """

    @functools.wraps(fn)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await to_future(fn(*args, **kwargs))

    return wrapper


def deferred_coroutine(
    fn: Callable[_P, Coroutine[Any, Any, _T]],
) -> Callable[_P, Deferred[_T]]:
    """Decorate an ``async def`` to behave like the ``@inlineCallbacks`` function it replaces.

    Calling it returns a Deferred and runs the body at once, synchronously up to its first
    suspension, driven by Twisted (``Deferred.fromCoroutine``): ``await`` on a Deferred works
    on any reactor. Where the asyncio reactor is installed the body may also await asyncio
    futures, Tasks and coroutines (``await asyncio.sleep(1)``, ``await to_deferred(x)``).
    Cancelling the Deferred cancels what the body is waiting on, as ``@inlineCallbacks`` does;
    an ``asyncio.CancelledError`` leaving the body fails the Deferred with
    ``defer.CancelledError``. The body is not an asyncio Task: ``asyncio.current_task()`` is
    ``None`` and ``asyncio.timeout()`` does not apply; use `deferred_api` for that.
    ``functools.wraps`` metadata and the signature are kept.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Deferred[_T]:
        coro = fn(*args, **kwargs)
        if not inspect.iscoroutine(coro):
            raise TypeError(
                f"@deferred_coroutine needs an async def function; "
                f"{fn.__qualname__}() returned {type(coro).__qualname__}"
            )
        return Deferred.fromCoroutine(_twisted.drive(coro))

    return wrapper
