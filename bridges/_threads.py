"""`call_from_thread`: run something on the loop thread and wait for it from another thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from twisted.internet.defer import Deferred

from bridges import _reactor

__all__ = ["call_from_thread"]

_T = TypeVar("_T")

#: The outcomes threads are waiting for, so that `abandon_waiting` can wake them.
_waiting: set[concurrent.futures.Future[Any]] = set()
_waiting_lock = threading.Lock()


def abandon_waiting(reason: str) -> None:
    """Wake every thread still waiting in `call_from_thread` with ``RuntimeError(reason)``.

    Called by ``bridges.run`` once its loop is closed: work that never finished never will.
    """
    with _waiting_lock:
        waiting = list(_waiting)
    for outcome in waiting:
        # Its thread may give up (timeout) at the same moment: then it is done already.
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            outcome.set_exception(RuntimeError(reason))


def call_from_thread(fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """Run ``fn(*args)`` on the reactor's loop thread and return its result to this thread.

    ``fn`` may be a plain function, a coroutine function or a function returning a Deferred or
    any awaitable: the calling thread blocks until the outcome is known, then gets the result or
    the same exception. With ``timeout`` (seconds), ``TimeoutError`` is raised when it expires and
    the work is cancelled on the loop (the task or Deferred is cancelled; work not yet started
    never starts). Work cancelled on the loop raises ``concurrent.futures.CancelledError`` here,
    and work still pending when ``bridges.run`` ends raises ``RuntimeError``: the thread never
    waits for an outcome that cannot come. The work runs in a copy of the calling thread's
    ``contextvars`` context.

    Raises ``RuntimeError`` when called from the loop thread itself (it would wait for work that
    can only run once it returns: a deadlock) or when no reactor is installed.
    """
    loop = _reactor.installed_loop()
    if loop is None:
        raise RuntimeError(
            "call_from_thread() needs bridges.install_reactor() (or bridges.run()) first"
        )
    if asyncio._get_running_loop() is loop:
        raise RuntimeError(
            "call_from_thread() was called on the loop thread; it would block the loop while "
            "waiting for work that needs the loop (a deadlock). Call fn directly, or await it."
        )
    outcome: concurrent.futures.Future[Any] = concurrent.futures.Future()
    pending: list[asyncio.Future[Any]] = []

    def start() -> None:
        if not outcome.set_running_or_notify_cancel():
            return
        try:
            result = fn(*args)
        except BaseException as exc:
            outcome.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if not (isinstance(result, Deferred) or inspect.isawaitable(result)):
            outcome.set_result(result)
            return
        from bridges._convert import to_future

        future = to_future(result)
        pending.append(future)
        future.add_done_callback(copy)

    def copy(future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            # Running already, so outcome.cancel() would do nothing: the waiter is told instead.
            outcome.set_exception(
                concurrent.futures.CancelledError(f"{fn!r} was cancelled on the loop")
            )
        elif (exc := future.exception()) is not None:
            outcome.set_exception(exc)
        else:
            outcome.set_result(future.result())

    def cancel() -> None:
        for future in pending:
            future.cancel()

    with _waiting_lock:
        _waiting.add(outcome)
    try:
        loop.call_soon_threadsafe(start)
        return outcome.result(timeout)
    except concurrent.futures.TimeoutError:
        if not outcome.cancel():
            loop.call_soon_threadsafe(cancel)
        raise TimeoutError(f"{fn!r} did not finish within {timeout} s; it was cancelled") from None
    finally:
        with _waiting_lock:
            _waiting.discard(outcome)
