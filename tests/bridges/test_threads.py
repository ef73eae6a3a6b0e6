"""call_from_thread: work on the loop thread, result (or exception, or timeout) to the caller."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading

import pytest
from twisted.internet import defer

import bridges

tag: contextvars.ContextVar[str] = contextvars.ContextVar("tag", default="none")


class Boom(Exception):
    pass


async def _in_thread(fn, *args):
    """Run ``fn`` in a fresh thread while the loop keeps running; return or raise its outcome."""
    return await asyncio.wait_for(asyncio.to_thread(fn, *args), 30)


async def test_plain_function_runs_on_the_loop_thread(reactor) -> None:
    loop_thread = threading.get_ident()

    def where() -> int:
        return threading.get_ident()

    caller, ran_on = await _in_thread(
        lambda: (threading.get_ident(), bridges.call_from_thread(where))
    )
    assert ran_on == loop_thread
    assert caller != loop_thread


async def test_coroutine_function_and_arguments(reactor) -> None:
    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0.001)
        assert asyncio.current_task() is not None  # runs as a Task on the loop
        return a + b

    assert await _in_thread(bridges.call_from_thread, add, 2, 3) == 5


async def test_deferred_returning_function(reactor) -> None:
    def later() -> defer.Deferred[str]:
        d: defer.Deferred[str] = defer.Deferred()
        reactor.callLater(0.001, d.callback, "fired")
        return d

    assert await _in_thread(bridges.call_from_thread, later) == "fired"


async def test_exception_is_raised_in_the_calling_thread(reactor) -> None:
    def fails() -> None:
        raise Boom("sync")

    async def fails_async() -> None:
        await asyncio.sleep(0)
        raise Boom("async")

    with pytest.raises(Boom, match="sync"):
        await _in_thread(bridges.call_from_thread, fails)
    with pytest.raises(Boom, match="async"):
        await _in_thread(bridges.call_from_thread, fails_async)


async def test_timeout_raises_and_cancels_the_work(reactor) -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def call() -> None:
        bridges.call_from_thread(slow, timeout=0.05)

    with pytest.raises(TimeoutError, match="cancelled"):
        await _in_thread(call)
    await asyncio.wait_for(cancelled.wait(), 10)


async def test_work_cancelled_on_the_loop_raises_cancelled_error_in_the_thread(reactor) -> None:
    def cancelled_soon() -> defer.Deferred[None]:
        d: defer.Deferred[None] = defer.Deferred()
        reactor.callLater(0.01, d.cancel)
        return d

    def call() -> BaseException | None:
        try:
            bridges.call_from_thread(cancelled_soon)  # no timeout: it used to wait for ever
        except BaseException as exc:  # asyncio would turn this one into a task cancellation
            return exc
        return None

    error = await _in_thread(call)
    assert isinstance(error, concurrent.futures.CancelledError)
    assert "cancelled on the loop" in str(error)


def test_a_thread_waiting_when_run_ends_is_woken(python) -> None:
    proc = python(
        """
        import asyncio, threading, bridges
        outcome = []
        def worker(started):
            started.set()
            try:
                bridges.call_from_thread(asyncio.Event().wait)  # never set: left pending
            except BaseException as exc:
                outcome.append(type(exc).__name__)
        async def main():
            started = threading.Event()
            # Not a daemon: a thread blocked for ever would keep the process from exiting.
            thread = threading.Thread(target=worker, args=(started,))
            thread.start()
            await asyncio.to_thread(started.wait)
            await asyncio.sleep(0.1)
            return thread
        thread = bridges.run(main())
        thread.join(10)
        print(outcome, thread.is_alive())
        """,
        timeout=30,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "['CancelledError'] False\n", "")


async def test_context_of_the_calling_thread(reactor) -> None:
    tag.set("loop")

    def call() -> str:
        tag.set("thread")
        return bridges.call_from_thread(tag.get)

    assert await _in_thread(call) == "thread"
    assert tag.get() == "loop"


async def test_from_the_loop_thread_is_a_clear_error(reactor) -> None:
    with pytest.raises(RuntimeError, match="deadlock"):
        bridges.call_from_thread(lambda: None)
