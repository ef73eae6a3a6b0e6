"""bridges.to_deferred: coroutines, awaitables and futures to a Deferred."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

import bridges

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


class Boom(Exception):
    pass


async def outcome_of(d: defer.Deferred) -> object:
    """The value or Failure ``d`` fires with (a Failure is returned, not raised)."""
    box: defer.Deferred[list] = defer.Deferred()
    d.addBoth(lambda result: box.callback([result]))
    [result] = await asyncio.wait_for(bridges.to_future(box), 10)
    return result


async def test_coroutine_value(reactor) -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        return 5

    d = bridges.to_deferred(work())
    assert isinstance(d, defer.Deferred)
    assert await bridges.to_future(d) == 5


async def test_coroutine_can_await_anything_asyncio(reactor) -> None:
    async def work() -> str:
        # asyncio-only API: needs a real Task.
        async with asyncio.timeout(5):
            await asyncio.sleep(0.001)
        return asyncio.current_task().get_name()

    name = await bridges.to_future(bridges.to_deferred(work()))
    assert name


async def test_exception_same_object_with_its_frames(reactor) -> None:
    async def work() -> None:
        raise Boom("inside")

    d = bridges.to_deferred(work())
    errors: list[Failure] = []
    d.addErrback(errors.append)
    await asyncio.sleep(0.01)
    [failure] = errors
    assert failure.check(Boom)
    names = [frame[0] for frame in failure.frames]
    assert "work" in names


async def test_cancel_cancels_the_task_and_fails_with_twisted_cancelled_error(reactor) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    d = bridges.to_deferred(work())
    await started.wait()
    d.cancel()
    errors: list[Failure] = []
    d.addErrback(errors.append)
    assert errors[0].check(defer.CancelledError)
    await asyncio.wait_for(cancelled.wait(), 5)


async def test_add_timeout_gives_twisted_timeout_error(reactor) -> None:
    d = bridges.to_deferred(asyncio.sleep(60))
    d.addTimeout(0.01, reactor)
    with pytest.raises(defer.TimeoutError):
        await bridges.to_future(d)


async def test_cancel_before_start_logs_nothing(reactor, caplog) -> None:
    ran = False

    async def work() -> None:
        nonlocal ran
        ran = True

    with caplog.at_level(logging.DEBUG):
        d = bridges.to_deferred(work())
        d.cancel()
        d.addErrback(lambda f: f.trap(defer.CancelledError))
        for _ in range(3):
            await asyncio.sleep(0)
        import gc

        gc.collect()
    assert not ran
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_task_cancelled_from_asyncio_side(reactor) -> None:
    async def work() -> None:
        await asyncio.sleep(60)

    task = asyncio.ensure_future(work())
    d = bridges.to_deferred(task)
    await asyncio.sleep(0)
    task.cancel()
    assert (await outcome_of(d)).check(defer.CancelledError)


async def test_done_future_fast_path(reactor) -> None:
    future = asyncio.get_running_loop().create_future()
    future.set_result("done")
    d = bridges.to_deferred(future)
    assert d.called
    assert d.result == "done"
    cancelled = asyncio.get_running_loop().create_future()
    cancelled.cancel()
    failed = bridges.to_deferred(cancelled)
    assert (await outcome_of(failed)).check(defer.CancelledError)
    # Seen from asyncio again, that Twisted cancellation is an asyncio cancellation.
    with pytest.raises(asyncio.CancelledError):
        await bridges.to_future(bridges.to_deferred(cancelled))


async def test_deferred_is_returned_as_is() -> None:
    d = defer.Deferred()
    assert bridges.to_deferred(d) is d


async def test_coroutine_sees_callers_context_and_does_not_leak(reactor) -> None:
    request_id.set("caller")

    async def work() -> str:
        seen = request_id.get()
        request_id.set("inside")
        return seen

    d = bridges.to_deferred(work())
    assert await bridges.to_future(d) == "caller"
    assert request_id.get() == "caller"


async def test_deferred_callbacks_run_in_callers_context(reactor) -> None:
    async def work() -> None:
        request_id.set("inside")
        await asyncio.sleep(0)

    request_id.set("scheduler")
    d = bridges.to_deferred(work())
    seen: list[str] = []
    d.addCallback(lambda _: seen.append(request_id.get()))
    request_id.set("changed-after")
    await bridges.to_future(d)
    assert seen == ["scheduler"]


async def test_concurrent_future_fires_on_the_loop_thread(reactor) -> None:
    loop_thread = threading.get_ident()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        cf = pool.submit(lambda: threading.get_ident())
        d = bridges.to_deferred(cf)
        fired_on: list[int] = []
        d.addCallback(lambda worker: fired_on.append(threading.get_ident()) or worker)
        worker = await bridges.to_future(d)
    assert worker != loop_thread
    assert fired_on == [loop_thread]


async def test_inside_ensure_deferred_await_to_deferred(reactor) -> None:
    loop = asyncio.get_running_loop()

    async def twisted_driven() -> int:
        future = loop.create_future()
        loop.call_later(0.001, future.set_result, 20)
        a = await bridges.to_deferred(future)
        b = await bridges.to_deferred(asyncio.sleep(0, 1))
        return a + b

    assert await bridges.to_future(defer.ensureDeferred(twisted_driven())) == 21


async def test_inside_inline_callbacks_yield_to_deferred(reactor) -> None:
    @defer.inlineCallbacks
    def legacy():
        value = yield bridges.to_deferred(asyncio.sleep(0.001, "slept"))
        return value.upper()

    assert await bridges.to_future(legacy()) == "SLEPT"


async def test_bad_input_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match=r"to_deferred\(\) needs .*str"):
        bridges.to_deferred("not awaitable")  # type: ignore[arg-type]


async def test_from_another_thread_is_a_clear_error(reactor) -> None:
    async def work() -> None:
        raise AssertionError("must not run")

    def in_thread() -> None:
        with pytest.raises(RuntimeError, match="call_from_thread"):
            bridges.to_deferred(work())
        with pytest.raises(RuntimeError, match="call_from_thread"):
            bridges.to_future(defer.succeed(1))

    await asyncio.wait_for(asyncio.to_thread(in_thread), 10)
