"""bridges.to_future: Deferreds, futures, coroutines and awaitables to an asyncio future."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import traceback

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

import bridges


class Boom(Exception):
    pass


def _raise_boom() -> None:
    raise Boom("boom")


def _frames(tb) -> list[tuple[str, str]]:
    return [(f.filename, f.name) for f in traceback.extract_tb(tb)]


async def test_pending_deferred_value(reactor) -> None:
    d = defer.Deferred()
    reactor.callLater(0, d.callback, 42)
    assert await bridges.to_future(d) == 42


async def test_result_is_not_consumed(reactor) -> None:
    d = defer.Deferred()
    future = bridges.to_future(d)
    reactor.callLater(0, d.callback, "value")
    assert await future == "value"
    later: list[object] = []
    d.addCallback(later.append)
    assert later == ["value"]


async def test_failure_is_not_consumed(reactor) -> None:
    d = defer.Deferred()
    future = bridges.to_future(d)
    reactor.callLater(0, d.errback, Failure(Boom("late")))
    with pytest.raises(Boom):
        await future
    seen: list[Failure] = []
    d.addErrback(seen.append)
    assert len(seen) == 1
    assert seen[0].check(Boom)


async def test_fired_deferred_gives_a_done_future(reactor) -> None:
    d = defer.succeed(7)
    future = bridges.to_future(d)
    # Already done: awaiting it takes no loop turn.
    assert future.done()
    assert future.result() == 7
    assert d.result == 7


async def test_fired_deferred_costs_no_loop_turn(reactor) -> None:
    turns = 0
    stop = False

    async def count_turns() -> None:
        nonlocal turns
        while not stop:
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    await asyncio.sleep(0)
    before = turns
    for _ in range(10):
        assert await bridges.to_future(defer.succeed(1)) == 1
    assert turns == before
    stop = True
    await counter


async def test_exception_same_type_and_traceback_frames(reactor) -> None:
    d = defer.maybeDeferred(_raise_boom)
    original = d.result.value
    original_frames = _frames(original.__traceback__)
    assert ("test_to_future.py", "_raise_boom") in [
        (f.rsplit("/", 1)[-1], n) for f, n in original_frames
    ]
    with pytest.raises(Boom) as info:
        await bridges.to_future(d)
    assert info.value is original
    # The frames of the original raise are all still there, at the end of the traceback.
    raised = _frames(info.value.__traceback__)
    assert raised[-len(original_frames) :] == original_frames
    d.addErrback(lambda f: None)


async def test_exception_from_pending_deferred_keeps_frames(reactor) -> None:
    d = defer.Deferred()

    def fail() -> None:
        try:
            _raise_boom()
        except Boom:
            d.errback()

    reactor.callLater(0, fail)
    with pytest.raises(Boom) as info:
        await bridges.to_future(d)
    names = [name for _, name in _frames(info.value.__traceback__)]
    assert names[-2:] == ["fail", "_raise_boom"]
    d.addErrback(lambda f: None)


async def test_cancelling_the_future_runs_the_canceller(reactor) -> None:
    cancelled: list[defer.Deferred] = []
    d = defer.Deferred(cancelled.append)
    future = bridges.to_future(d)
    assert future.cancel()
    # The canceller has run before cancel() returns, as for a Deferred cancelled directly.
    assert cancelled == [d]
    with pytest.raises(asyncio.CancelledError):
        await future
    assert not future.cancel()  # already cancelled: nothing more happens
    assert cancelled == [d]
    # The Deferred carries Twisted's CancelledError for its other callers.
    errors: list[Failure] = []
    d.addErrback(errors.append)
    assert errors[0].check(defer.CancelledError)


async def test_cancelling_the_awaiting_task_cancels_the_deferred(reactor) -> None:
    cancelled: list[defer.Deferred] = []
    d = defer.Deferred(cancelled.append)

    async def wait() -> None:
        await bridges.to_future(d)

    task = asyncio.create_task(wait())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [d]
    d.addErrback(lambda f: f.trap(defer.CancelledError))


async def test_deferred_waiting_on_inner_deferred(reactor) -> None:
    inner = defer.Deferred()
    outer = defer.succeed(None)
    outer.addCallback(lambda _: inner)
    future = bridges.to_future(outer)
    assert not future.done()
    reactor.callLater(0, inner.callback, "inner")
    assert await future == "inner"


async def test_asyncio_future_is_returned_as_is() -> None:
    future = asyncio.get_running_loop().create_future()
    assert bridges.to_future(future) is future


async def test_tornado_future(reactor) -> None:
    from tornado.concurrent import Future

    future: Future[int] = Future()
    asyncio.get_running_loop().call_soon(future.set_result, 5)
    assert await bridges.to_future(future) == 5


async def test_coroutine_becomes_a_task() -> None:
    async def three() -> int:
        await asyncio.sleep(0)
        return 3

    future = bridges.to_future(three())
    assert isinstance(future, asyncio.Task)
    assert await future == 3


async def test_awaitable_object() -> None:
    class Awaitable:
        def __await__(self):
            yield from asyncio.sleep(0).__await__()
            return "awaited"

    assert await bridges.to_future(Awaitable()) == "awaited"


async def test_concurrent_future_result_on_the_loop_thread() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = bridges.to_future(pool.submit(lambda: threading.get_ident()))
        future.add_done_callback(lambda f: seen.append(threading.get_ident()))
        worker = await future
    await asyncio.sleep(0)
    assert worker != loop_thread
    assert seen == [loop_thread]


async def test_concurrent_future_exception() -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool, pytest.raises(Boom):
        await bridges.to_future(pool.submit(_raise_boom))


async def test_future_of_another_loop() -> None:
    other = asyncio.new_event_loop()
    started = threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), other.run_forever()))
    thread.start()
    try:
        started.wait(10)

        async def on_other() -> str:
            await asyncio.sleep(0)
            return threading.current_thread().name

        name = await bridges.to_future(asyncio.run_coroutine_threadsafe(on_other(), other))
        assert name == thread.name
        foreign = asyncio.run_coroutine_threadsafe(asyncio.sleep(0, "x"), other)
        other_future = await bridges.to_future(foreign)
        assert other_future == "x"
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(10)
        other.close()


async def test_bad_input_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match=r"to_future\(\) needs a Deferred.*int"):
        bridges.to_future(3)  # type: ignore[arg-type]


def test_deferred_conversion_is_a_singledispatch_registration() -> None:
    from bridges._convert import future_converter

    assert future_converter.dispatch(defer.Deferred) is not future_converter.dispatch(object)
    assert future_converter.dispatch(concurrent.futures.Future) is not future_converter.dispatch(
        object
    )


async def test_deferred_cancelled_on_the_twisted_side_cancels_the_future(reactor) -> None:
    pending = defer.Deferred()
    future = bridges.to_future(pending)
    pending.cancel()
    assert future.cancelled()
    fired = defer.Deferred()
    fired.cancel()
    assert bridges.to_future(fired).cancelled()
    # The Deferreds keep their Twisted CancelledError for their own callers.
    for d in (pending, fired):
        errors: list[Failure] = []
        d.addErrback(errors.append)
        assert errors[0].check(defer.CancelledError)
