"""The Tornado side of `bridges.compat`: what Tornado 6 removed, with Tornado 4/5 semantics.

- ``tornado.web.asynchronous``: the handler method runs with auto-finish off; if it returns an
  awaitable, the request is finished once that is done (unless the handler did it already).
- stack_context, for the one use legacy code made of it: an exception raised by a callback that
  an ``@asynchronous`` handler scheduled (through the IOLoop, Motor, ``fetch``, ``gen.Task``)
  reaches that handler, which logs it and answers 500 (or the status of an ``HTTPError``)
  through ``send_error``. Tornado 6 only logs such an exception and leaves the request hanging.
  The handler is found through a context variable set while the decorated method runs: asyncio
  copies the context into every callback and task scheduled from there, so the handler follows
  its callbacks the way stack_context made it follow them.
- ``tornado.gen.Task`` and ``tornado.gen.Arguments``.
- ``callback=`` on ``AsyncHTTPClient.fetch``: the callback gets an ``HTTPResponse`` whatever
  happens (an HTTP error status is ``response.error``; any other failure a 599 response), as in
  Tornado 4/5.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import tornado.gen
import tornado.httpclient
import tornado.web
from tornado.concurrent import Future, future_set_result_unless_cancelled
from tornado.ioloop import IOLoop

__all__ = ["Arguments", "Task", "asynchronous", "patches"]

_Method = Callable[..., Any]

#: The ``@asynchronous`` handler whose method scheduled the running callback, if any.
_current_handler: contextvars.ContextVar[tornado.web.RequestHandler | None] = (
    contextvars.ContextVar("bridges_compat_handler", default=None)
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
    def wrapper(self: tornado.web.RequestHandler, *args: Any, **kwargs: Any) -> Any:
        self._auto_finish = False
        token = _current_handler.set(self)
        try:
            result = method(self, *args, **kwargs)
        finally:
            # Callbacks scheduled above already carry a copy of the context with the handler.
            _current_handler.reset(token)
        if result is not None:
            return _finish_when_done(self, result)
        return None

    return wrapper


async def _finish_when_done(handler: tornado.web.RequestHandler, result: Awaitable[Any]) -> None:
    await result
    if not handler._finished:
        handler.finish()


def _route_to_handler(handler: tornado.web.RequestHandler, callback: Callable[[], Any]) -> Any:
    try:
        return callback()
    except Exception as exc:
        # Logs it (Tornado's log_exception) and answers through send_error, unless finished.
        handler._handle_request_exception(exc)
        return None


def _patched_run_callback(original: Callable[[IOLoop, Callable[[], Any]], None]) -> Any:
    @functools.wraps(original)
    def _run_callback(self: IOLoop, callback: Callable[[], Any]) -> None:
        handler = _current_handler.get()
        if handler is None:
            original(self, callback)
        else:
            original(self, functools.partial(_route_to_handler, handler, callback))

    return _run_callback


def Task(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Tornado 4/5's ``gen.Task``: call ``func(*args, callback=..., **kwargs)``, return a Future.

    The Future resolves to the callback's single argument, ``None`` for none, or `Arguments`
    for several (or keyword arguments). A synchronous raise fails the Future (as stack_context
    made it). Calls of the callback after the first are ignored, as Tornado 4 did.
    """
    future: Future[Any] = Future()

    def set_result(*cb_args: Any, **cb_kwargs: Any) -> None:
        if future.done():
            return
        if cb_kwargs or len(cb_args) > 1:
            future.set_result(Arguments(cb_args, cb_kwargs))
        elif cb_args:
            future.set_result(cb_args[0])
        else:
            future.set_result(None)

    try:
        func(*args, callback=set_result, **kwargs)
    except Exception as exc:
        if not future.done():
            future.set_exception(exc)
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
        (
            tornado.httpclient.AsyncHTTPClient,
            "fetch",
            _patched_fetch(tornado.httpclient.AsyncHTTPClient.fetch),
        ),
    ]
