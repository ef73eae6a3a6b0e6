"""The Twisted side: Deferred <-> asyncio future, and Twisted-driven coroutines.

Why not Twisted's own adapters (Twisted 26.10):

- ``Deferred.asFuture`` consumes the Deferred's result (later callbacks get ``None``);
  `deferred_to_future` passes the result on untouched, and costs no loop turn when the Deferred
  has already fired (the future comes back done).
- ``Deferred.fromFuture``: cancelling it fails with ``asyncio.CancelledError`` (so ``addTimeout``
  reports CancelledError, not ``defer.TimeoutError``); `future_to_deferred` fails with
  ``defer.CancelledError``, and logs nothing when cancelled before the task has started.
- A coroutine driven by ``ensureDeferred`` cannot await an asyncio future ("await wasn't used
  with future"); `drive` can (see `bridges.deferred_coroutine`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from functools import partial
from typing import Any, TypeVar

from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from bridges import _errors

__all__ = ["deferred_to_future", "drive", "future_to_deferred"]

_T = TypeVar("_T")


def _failure(exc: BaseException) -> Failure:
    """A Failure of ``exc`` keeping its traceback frames."""
    return Failure(exc, type(exc), exc.__traceback__)  # type: ignore[no-untyped-call]


def _hand_failure(d: Deferred[Any], failure: Failure, future: asyncio.Future[Any]) -> None:
    if isinstance(failure.value, defer.CancelledError):
        # Cancellation is not an ordinary error: a Deferred cancelled on the Twisted side
        # cancels the future, and the CancelledError it keeps is nobody's to report.
        future.cancel("the Deferred was cancelled")
        _errors.silence(d, failure)
        return
    assert failure.value is not None  # a Failure always wraps an exception
    future.set_exception(failure.value)
    _errors.hand_over(d, failure, future)


def deferred_to_future(d: Deferred[_T], loop: asyncio.AbstractEventLoop) -> asyncio.Future[_T]:
    """An asyncio future on ``loop`` that follows ``d``; ``d``'s own result is left in place.

    Callbacks added to ``d`` afterwards still see its value or failure. Cancelling the future
    cancels ``d`` (its canceller runs); whatever failure that leaves on ``d`` is not reported.
    A failure present on both sides is reported once, only if neither side handles it.
    """
    # Fired, not waiting on an inner Deferred, not in the middle of its own callbacks: the
    # result is final, hand it over now (an already-done future: no loop turn to await it).
    if d.called and not d.paused and not d._runningCallbacks:
        result = d.result
        if isinstance(result, Failure):
            failed: _Held[_T] = _Held(loop=loop)
            _hand_failure(d, result, failed)
            return failed
        future: asyncio.Future[_T] = loop.create_future()
        future.set_result(result)  # type: ignore[arg-type]
        return future

    following: _Following[_T] = _Following(loop=loop)
    following._deferred = d
    d.addCallbacks(following.on_value, following.on_failure)
    return following


class _Held(asyncio.Future[_T]):
    """A future that may hold a Deferred's failure: room for its `_errors.Orphan`."""

    __slots__ = ("_orphan",)


class _Following(_Held[_T]):
    """A future that follows a pending Deferred, leaving the Deferred's result in place.

    Cancelling it cancels the Deferred at once, from :meth:`cancel` itself, rather than from a
    done callback: no cancel watcher to add and take off again, no loop callback (asyncio runs
    done callbacks with ``call_soon``), and the Deferred's canceller runs before ``cancel()``
    returns, as it would for a Deferred cancelled directly. That keeps a pending Deferred no
    dearer than ``asFuture``.
    """

    # Set right after construction by deferred_to_future: no Python __init__ on the hot path.
    __slots__ = ("_deferred",)
    _deferred: Deferred[_T]

    def cancel(self, msg: Any | None = None) -> bool:
        if not super().cancel(msg):
            return False
        self._deferred.cancel()
        return True

    def on_value(self, value: _T) -> _T:
        if not self.done():
            self.set_result(value)
        return value

    def on_failure(self, failure: Failure) -> Failure:
        if self.cancelled():
            _errors.silence(self._deferred, failure)
        elif not self.done():
            _hand_failure(self._deferred, failure, self)
        return failure


def future_to_deferred(future: asyncio.Future[_T]) -> Deferred[_T]:
    """A Deferred that fires with ``future``'s outcome; ``d.cancel()`` cancels the future.

    Cancellation in either direction arrives as ``defer.CancelledError`` on the Deferred (so
    ``addTimeout`` gives ``defer.TimeoutError``). Callbacks run on the loop's thread, in the
    context that called this function.
    """
    if future.done():
        return _outcome(future)
    d: Deferred[_T] = Deferred(partial(_cancel_future, future))
    future.add_done_callback(partial(_deliver, d))
    return d


def _cancel_future(future: asyncio.Future[Any], d: Deferred[Any]) -> None:
    # Twisted then fails ``d`` with defer.CancelledError itself, synchronously.
    future.cancel()


def _outcome(future: asyncio.Future[_T]) -> Deferred[_T]:
    if future.cancelled():
        return defer.fail(defer.CancelledError())
    exc = future.exception()
    if exc is not None:
        return defer.fail(_failure(exc))
    return defer.succeed(future.result())


def _deliver(d: Deferred[_T], future: asyncio.Future[_T]) -> None:
    if d.called:
        # ``d`` was cancelled first. The future's outcome belongs to nobody now: take its
        # exception (if any) so asyncio does not report the leftover of a cancelled bridge.
        if not future.cancelled():
            future.exception()
        return
    if future.cancelled():
        failure = _failure(defer.CancelledError())
        d.errback(failure)
        if _errors.shutting_down:  # cancelled by bridges.run's exit, not by anyone's choice
            _errors.silence(d, failure)
        return
    exc = future.exception()
    if exc is not None:
        d.errback(_failure(exc))
    else:
        d.callback(future.result())


def _future_waiter(future: asyncio.Future[Any]) -> Deferred[None]:
    waiter: Deferred[None] = Deferred(partial(_cancel_future, future))

    def wake(_: asyncio.Future[Any]) -> None:
        if not waiter.called:
            waiter.callback(None)

    future.add_done_callback(wake)
    return waiter


def _next_turn() -> Deferred[None]:
    waiter: Deferred[None] = Deferred()
    from bridges._reactor import current_loop

    current_loop().call_soon(waiter.callback, None)
    return waiter


def drive(coro: Coroutine[Any, Any, _T]) -> Generator[Any, Any, _T]:
    """Run ``coro`` under Twisted (``Deferred.fromCoroutine``) and let it await asyncio too.

    Twisted drives a coroutine by sending it the results of the Deferreds it yields. An asyncio
    future yields *itself* and expects to be resumed (with ``None``) once it is done; a bare
    ``yield`` (``asyncio.sleep(0)``) asks for one loop turn. This generator stands between the
    two: Deferreds (and whatever else Twisted understands) go up unchanged, asyncio futures are
    replaced by a Deferred that fires when the future is done (cancelling it cancels the
    future). Cancelled while it awaits asyncio, the coroutine gets ``asyncio.CancelledError``
    there, as in a Task (asyncio's locks and conditions clean up on it); while it awaits a
    Deferred, ``defer.CancelledError``, as under ``@inlineCallbacks``. ``asyncio.CancelledError``
    escaping the coroutine becomes ``defer.CancelledError``.
    """
    send: Any = None
    throw: BaseException | None = None
    while True:
        try:
            yielded = coro.throw(throw) if throw is not None else coro.send(send)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except asyncio.CancelledError as exc:
            raise defer.CancelledError() from exc
        send = throw = None
        waits_for_asyncio = True
        if asyncio.isfuture(yielded):
            # The flag a Task resets when it accepts a yielded future; we accept it here.
            yielded._asyncio_future_blocking = False
            yielded = _future_waiter(yielded)
        elif yielded is None:
            yielded = _next_turn()
        else:
            waits_for_asyncio = False
        try:
            send = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except defer.CancelledError as exc:
            # Cancelled while awaiting asyncio: that code (a Lock, a Condition...) cleans up on
            # asyncio's CancelledError, as it would in a Task. A Deferred's stays Twisted's.
            throw = asyncio.CancelledError() if waits_for_asyncio else exc
        except BaseException as exc:
            throw = exc
