"""Callback APIs and native coroutines, both ways, without patching anything.

- `from_callback` awaits a ``callback=`` API: ``await from_callback(fn, *args, **kwargs)`` calls
  ``fn(*args, callback=cb, **kwargs)`` and returns what ``cb`` receives.
- `callback_api` lets legacy callers call an ``async def`` as ``fn(..., callback=cb)``.

Two callback conventions exist in the legacy code this kit meets: Tornado's (one argument, the
result; errors went through stack_context) and Motor 1.x's (``(result, error)``, one of them
``None``). `from_callback` tells them apart by the *call*, not by the function: one argument is
a result; two arguments whose second is ``None`` or an exception are Motor's pair; no argument is
``None``. ``style="tornado"`` or ``style="motor"`` forces one, for an API whose callbacks would
be ambiguous (a Tornado-style callback whose single result is a 2-tuple is never ambiguous: it
is one argument).

Exceptions: a ``fn`` that raises at once raises out of ``await from_callback(...)`` unchanged; a
Motor-style error is raised as it is; a call that fits no convention raises `CallbackStyleError`
(a ``TypeError``). A second call of the callback is ignored with a `CallbackCalledTwiceWarning`
(a ``RuntimeWarning``).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, Literal, ParamSpec, TypeVar, overload

__all__ = [
    "CallbackCalledTwiceWarning",
    "CallbackStyleError",
    "callback_api",
    "from_callback",
]

CallbackStyle = Literal["auto", "tornado", "motor"]
_P = ParamSpec("_P")
_T = TypeVar("_T")


class CallbackCalledTwiceWarning(RuntimeWarning):
    """A callback handed out by `from_callback` was called again; the call was ignored."""


class CallbackStyleError(TypeError):
    """The callback was called in a way that fits neither the Tornado nor the Motor convention."""


def _outcome(style: CallbackStyle, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The result the callback call stands for; raises the error it stands for."""
    if kwargs:
        raise CallbackStyleError(f"callback called with keyword arguments {sorted(kwargs)}")
    if style == "tornado" or (style == "auto" and len(args) < 2):
        if len(args) > 1:
            raise CallbackStyleError(f"Tornado-style callback called with {len(args)} arguments")
        return args[0] if args else None
    if len(args) != 2:
        raise CallbackStyleError(
            f"Motor-style callback called with {len(args)} arguments, not (result, error)"
        )
    result, error = args
    if isinstance(error, BaseException):
        raise error
    if error is not None:
        raise CallbackStyleError(
            f"callback called with two arguments whose second is {type(error).__name__}, "
            "neither None nor an exception: not Motor's (result, error)"
        )
    return result


async def from_callback(
    fn: Callable[..., Any],
    *args: Any,
    style: CallbackStyle = "auto",
    # The issue asks for a timeout here: a callback API has no handle to put asyncio.timeout on.
    timeout: float | None = None,  # noqa: ASYNC109
    **kwargs: Any,
) -> Any:
    """Call ``fn(*args, callback=cb, **kwargs)`` and wait for ``cb`` to be called.

    Returns the result ``cb`` received, or raises the error it received (Motor style). ``style``
    picks the convention (see the module docstring); ``timeout`` (seconds) raises
    ``TimeoutError`` if ``cb`` is not called in time. Cancelling the awaiting task stops the wait
    (the operation ``fn`` started cannot be cancelled through a callback API and runs on; its
    late callback is ignored, also from a thread after the loop has closed). ``cb`` may be called
    from another thread: the result is handed to the loop thread. ``style`` and ``timeout`` are
    not passed to ``fn``; bind an argument of ``fn`` with those names with ``functools.partial``.
    An unknown ``style`` is a ``ValueError``; a ``callback`` keyword a ``TypeError`` (this
    function makes the callback).
    """
    if style not in ("auto", "tornado", "motor"):
        raise ValueError(f"style must be 'auto', 'tornado' or 'motor', not {style!r}")
    if "callback" in kwargs:
        raise TypeError("from_callback passes its own callback= to fn; do not give one")
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    future: asyncio.Future[Any] = loop.create_future()
    calls = 0
    calls_lock = threading.Lock()  # the callback may be called from several threads at once

    def settle(cb_args: tuple[Any, ...], cb_kwargs: dict[str, Any]) -> None:
        if future.done():  # cancelled or timed out: nobody waits any more
            return
        try:
            future.set_result(_outcome(style, cb_args, cb_kwargs))
        except BaseException as exc:  # the error the callback reported, handed over as is
            future.set_exception(exc)

    def callback(*cb_args: Any, **cb_kwargs: Any) -> None:
        nonlocal calls
        with calls_lock:
            calls += 1
            count = calls
        if count > 1:
            warnings.warn(
                f"callback of {getattr(fn, '__qualname__', fn)!r} called {count} times; "
                "calls after the first are ignored",
                CallbackCalledTwiceWarning,
                stacklevel=2,
            )
            return
        if threading.get_ident() == loop_thread:
            settle(cb_args, cb_kwargs)
            return
        try:
            loop.call_soon_threadsafe(settle, cb_args, cb_kwargs)
        except RuntimeError:
            if not loop.is_closed():
                raise
            # The loop is gone, and with it whoever waited: a late call, ignored.

    fn(*args, callback=callback, **kwargs)
    if timeout is None:
        return await future
    async with asyncio.timeout(timeout):
        return await future


@overload
def callback_api(
    fn: Callable[_P, Coroutine[Any, Any, _T]], /
) -> Callable[..., Coroutine[Any, Any, _T] | None]: ...


@overload
def callback_api(
    *, style: Literal["tornado", "motor"] = "tornado"
) -> Callable[
    [Callable[_P, Coroutine[Any, Any, _T]]],
    Callable[..., Coroutine[Any, Any, _T] | None],
]: ...


def callback_api(
    fn: Callable[..., Coroutine[Any, Any, Any]] | None = None,
    /,
    *,
    style: Literal["tornado", "motor"] = "tornado",
) -> Any:
    """Make an ``async def`` also callable as ``fn(..., callback=cb)`` by legacy callers.

    Called without ``callback`` (or with ``callback=None``) the function returns its coroutine,
    to be awaited as usual. Called with one, it starts the coroutine as a task on the running
    loop, returns ``None``, and later calls ``cb`` on the loop, through the Tornado IOLoop as
    Tornado's own callbacks were run (so an exception in ``cb`` reaches an ``@asynchronous``
    handler under `bridges.compat`), in the caller's ``contextvars`` context:

    - ``style="tornado"`` (the default, as Tornado's ``return_future``): ``cb(result)``; an
      exception of the coroutine is raised on the loop, where the IOLoop logs it (or, under
      `bridges.compat`, the calling ``@asynchronous`` handler answers 500), and ``cb`` is not
      called;
    - ``style="motor"``: ``cb(result, None)`` or ``cb(None, exception)``.

    Cancelling the task (at loop shutdown, say) calls nothing. Usable bare (``@callback_api``)
    or with arguments (``@callback_api(style="motor")``).
    """
    if fn is None:
        return functools.partial(_make_callback_api, style=style)
    return _make_callback_api(fn, style=style)


_running: set[asyncio.Task[Any]] = set()


def _make_callback_api(
    fn: Callable[..., Coroutine[Any, Any, Any]], *, style: Literal["tornado", "motor"]
) -> Callable[..., Coroutine[Any, Any, Any] | None]:
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"callback_api needs an async def function, not {fn!r}")

    @functools.wraps(fn)
    def wrapper(
        *args: Any, callback: Callable[..., Any] | None = None, **kwargs: Any
    ) -> Coroutine[Any, Any, Any] | None:
        if callback is None:
            return fn(*args, **kwargs)
        if not callable(callback):
            raise TypeError("callback must be a callable")
        asyncio.get_running_loop()  # a clear RuntimeError before the coroutine exists
        from tornado.ioloop import IOLoop  # imported when first used: `import bridges` stays light

        io_loop = IOLoop.current()
        task = asyncio.ensure_future(fn(*args, **kwargs))
        _running.add(task)

        def done(task: asyncio.Task[Any]) -> None:
            _running.discard(task)
            if task.cancelled():
                return
            error = task.exception()
            if style == "motor":
                if error is None:
                    io_loop.add_callback(callback, task.result(), None)
                else:
                    io_loop.add_callback(callback, None, error)
            elif error is None:
                io_loop.add_callback(callback, task.result())
            else:
                io_loop.add_callback(_reraise, error)

        task.add_done_callback(done)
        return None

    return wrapper


def _reraise(error: BaseException) -> None:
    raise error
