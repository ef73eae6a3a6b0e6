"""The Tornado side of `bridges.compat`: what Tornado 6 removed, with Tornado 4/5 semantics.

- ``tornado.web.asynchronous``: the handler method runs with auto-finish off; if it returns an
  awaitable, that is started at once and the request is finished once it is done (unless the
  handler did it already), and the method returns ``None``, as in Tornado 5: a handler method
  that calls another ``@asynchronous`` one need not await it.
- stack_context, for the uses legacy code made of it: an exception raised by a callback that an
  ``@asynchronous`` handler scheduled (through the IOLoop, ``add_future`` on any future, Motor,
  ``fetch``, ``gen.Task``, or from the body of its coroutine) reaches that handler, which logs
  it and answers 500 (or the status of an ``HTTPError``) through ``send_error``. Tornado 6 only
  logs such an exception and leaves the request hanging. An exception in a callback that a
  function called by ``gen.Task`` scheduled fails that Task's Future instead, while it is
  pending. ``IOLoop.spawn_callback`` runs its callback outside all of this, as Tornado 5 did.
  The catcher in force is a context variable: asyncio copies the context into every callback
  and task scheduled from there, so it follows callbacks the way stack_context made it follow
  them.
- ``tornado.gen.Task`` and ``tornado.gen.Arguments``.
- ``callback=`` on ``AsyncHTTPClient.fetch``: the callback gets an ``HTTPResponse`` whatever
  happens (an HTTP error status is ``response.error``; any other failure a 599 response), as in
  Tornado 4/5; the Future returned as well fails with the error unless ``raise_error=False``
  (its failure is marked retrieved, so a caller that ignores it sees no log).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import tornado.gen
import tornado.httpclient
import tornado.web
from tornado.concurrent import Future, future_set_result_unless_cancelled
from tornado.ioloop import IOLoop

__all__ = ["Arguments", "Task", "asynchronous", "patches"]

_Method = Callable[..., Any]
#: Takes an exception raised by a callback; returns whether it dealt with it.
_Catcher = Callable[[Exception], bool]

#: What catches an exception of the running callback: the ``@asynchronous`` handler or the
#: ``gen.Task`` that scheduled it (Tornado 5's innermost ExceptionStackContext), if any.
_catcher: contextvars.ContextVar[_Catcher | None] = contextvars.ContextVar(
    "bridges_compat_catcher", default=None
)


class Arguments(NamedTuple):
    """What ``gen.Task`` resolves to when the callback got more than one argument (Tornado 4)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def asynchronous(method: _Method) -> _Method:
    """Tornado 4/5's ``@tornado.web.asynchronous`` on Tornado 6.

    The request stays open after the method returns, until the handler calls ``finish()``;
    exceptions raised by callbacks the method scheduled reach the handler (500 + log).
    """

    @functools.wraps(method)
    def wrapper(self: tornado.web.RequestHandler, *args: Any, **kwargs: Any) -> None:
        self._auto_finish = False
        token = _catcher.set(functools.partial(_handler_catches, self))
        try:
            result = method(self, *args, **kwargs)
            if result is None:
                return
            # Started here, in the handler's context, so that the coroutine's body (a task that
            # copies the context now) schedules its callbacks with the handler as catcher.
            IOLoop.current().add_future(
                tornado.gen.convert_yielded(result), functools.partial(_finish, self)
            )
        finally:
            # Callbacks scheduled above already carry a copy of the context with the catcher.
            _catcher.reset(token)

    return wrapper


def _finish(handler: tornado.web.RequestHandler, done: Future[Any]) -> None:
    if done.cancelled():
        if not handler._finished:  # nothing will finish it now: an error, not a hang
            raise RuntimeError(f"{handler.request.method} method's coroutine was cancelled")
        return
    done.result()  # an exception goes to the handler: this runs as one of its callbacks
    if not handler._finished:
        handler.finish()


def _handler_catches(handler: tornado.web.RequestHandler, exc: Exception) -> bool:
    # Logs it (Tornado's log_exception) and answers through send_error, unless finished.
    handler._handle_request_exception(exc)
    return True


def _caught(catcher: _Catcher, callback: Callable[[], Any]) -> Any:
    try:
        return callback()
    except Exception as exc:
        if not catcher(exc):
            raise  # to the IOLoop, which logs it
        return None


def _patched_run_callback(original: Callable[[IOLoop, Callable[[], Any]], None]) -> Any:
    @functools.wraps(original)
    def _run_callback(self: IOLoop, callback: Callable[[], Any]) -> None:
        catcher = _catcher.get()
        if catcher is None:
            original(self, callback)
        else:
            original(self, functools.partial(_caught, catcher, callback))

    return _run_callback


def _patched_add_future(original: Callable[..., None]) -> Any:
    @functools.wraps(original)
    def add_future(self: IOLoop, future: Any, callback: Callable[[Any], Any]) -> None:
        catcher = _catcher.get()
        if catcher is None or asyncio.isfuture(future):
            # An asyncio future runs its done callbacks in the context they were added in.
            original(self, future, callback)
            return
        # A concurrent.futures.Future calls back from the thread that completed it, whose
        # context knows nothing of the caller's: Tornado 5 wrapped the callback here.
        context = contextvars.copy_context()
        original(
            self,
            future,
            lambda done: context.run(_caught, catcher, functools.partial(callback, done)),
        )

    return add_future


def _patched_spawn_callback(original: Callable[..., None]) -> Any:
    @functools.wraps(original)
    def spawn_callback(
        self: IOLoop, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        # Tornado 5 ran it outside the caller's stack_context: a failure is logged, and is not
        # the caller's (a fire-and-forget job must not fail the request that started it).
        context = contextvars.copy_context()
        context.run(_catcher.set, None)
        context.run(original, self, callback, *args, **kwargs)

    return spawn_callback


def Task(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Tornado 4/5's ``gen.Task``: call ``func(*args, callback=..., **kwargs)``, return a Future.

    The Future resolves to the callback's single argument, ``None`` for none, or `Arguments`
    for several (or keyword arguments). A synchronous raise fails the Future, and so does an
    exception in a callback that ``func`` scheduled, as Tornado 4/5's ExceptionStackContext
    made them; once the Future is done, a synchronous raise propagates, and a callback's
    exception goes to the catcher around the Task (the ``@asynchronous`` handler) or is logged.
    Calls of the callback after the first are ignored, as Tornado 4 did.
    """
    future: Future[Any] = Future()
    outer = _catcher.get()

    def catch(exc: Exception) -> bool:
        if not future.done():
            future.set_exception(exc)
            return True
        return outer is not None and outer(exc)

    def set_result(*cb_args: Any, **cb_kwargs: Any) -> None:
        if future.done():
            return
        if cb_kwargs or len(cb_args) > 1:
            future.set_result(Arguments(cb_args, cb_kwargs))
        elif cb_args:
            future.set_result(cb_args[0])
        else:
            future.set_result(None)

    token = _catcher.set(catch)
    try:
        func(*args, callback=set_result, **kwargs)
    except Exception as exc:
        if future.done():
            raise
        future.set_exception(exc)
    finally:
        _catcher.reset(token)
    return future


def _patched_fetch(original: Callable[..., Future[Any]]) -> Any:
    @functools.wraps(original)
    def fetch(
        self: tornado.httpclient.AsyncHTTPClient,
        request: str | tornado.httpclient.HTTPRequest,
        callback: Callable[[tornado.httpclient.HTTPResponse], Any] | None = None,
        raise_error: bool = True,
        **kwargs: Any,
    ) -> Future[Any]:
        if callback is None:
            return original(self, request, raise_error=raise_error, **kwargs)
        if not callable(callback):
            raise TypeError("callback must be a callable")
        if not isinstance(request, tornado.httpclient.HTTPRequest):
            request = tornado.httpclient.HTTPRequest(url=request, **kwargs)
            kwargs = {}
        start = time.monotonic()
        inner = original(self, request, raise_error=False, **kwargs)
        outer: Future[tornado.httpclient.HTTPResponse] = Future()
        io_loop = IOLoop.current()

        def deliver(done: Future[tornado.httpclient.HTTPResponse]) -> None:
            exc = done.exception()
            if exc is None:
                response = done.result()
            elif isinstance(exc, tornado.httpclient.HTTPClientError) and exc.response:
                response = exc.response
            else:
                # Tornado 4/5 gave the callback a 599 response for errors without one.
                assert isinstance(request, tornado.httpclient.HTTPRequest)
                response = tornado.httpclient.HTTPResponse(
                    request, 599, error=exc, request_time=time.monotonic() - start
                )
            error = exc if exc is not None else response.error
            if raise_error and error is not None:
                if not outer.done():
                    outer.set_exception(error)
                    outer.exception()  # retrieved: the callback is how this caller hears of it
            else:
                future_set_result_unless_cancelled(outer, response)
            io_loop.add_callback(callback, response)

        io_loop.add_future(inner, deliver)
        return outer

    return fetch


def patches() -> list[tuple[object, str, object]]:
    """``(owner, attribute, replacement)`` for every Tornado shim point."""
    return [
        (tornado.web, "asynchronous", asynchronous),
        (tornado.gen, "Task", Task),
        (tornado.gen, "Arguments", Arguments),
        (IOLoop, "_run_callback", _patched_run_callback(IOLoop._run_callback)),
        (IOLoop, "add_future", _patched_add_future(IOLoop.add_future)),
        (IOLoop, "spawn_callback", _patched_spawn_callback(IOLoop.spawn_callback)),
        (
            tornado.httpclient.AsyncHTTPClient,
            "fetch",
            _patched_fetch(tornado.httpclient.AsyncHTTPClient.fetch),
        ),
    ]
