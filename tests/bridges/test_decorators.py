"""deferred_api, async_api and deferred_coroutine: signatures, metadata and behaviour."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from twisted.internet import defer, task

import bridges


class Boom(Exception):
    pass


async def outcome_of(d: defer.Deferred) -> object:
    """The value or Failure ``d`` fires with (a Failure is returned, not raised)."""
    box: defer.Deferred[list] = defer.Deferred()
    d.addBoth(lambda result: box.callback([result]))
    [result] = await asyncio.wait_for(bridges.to_future(box), 10)
    return result


@bridges.deferred_api
async def add(a: int, b: int = 2, *, scale: int = 1) -> int:
    """Add, then scale."""
    await asyncio.sleep(0)
    return (a + b) * scale


def _legacy_double(x: int) -> defer.Deferred[int]:
    """Double x, the Twisted way."""
    from twisted.internet import reactor

    return task.deferLater(reactor, 0, lambda: x * 2)


legacy_double = bridges.async_api(_legacy_double)


@bridges.async_api
@defer.inlineCallbacks
def legacy_inline(x: int):
    """inlineCallbacks, awaited from asyncio."""
    value = yield _legacy_double(x)
    return value + 1


def test_deferred_api_keeps_metadata_and_signature() -> None:
    assert add.__name__ == "add"
    assert add.__doc__ == "Add, then scale."
    assert str(inspect.signature(add)) == "(a: 'int', b: 'int' = 2, *, scale: 'int' = 1) -> 'int'"
    assert inspect.signature(add) == inspect.signature(add.__wrapped__)


def test_async_api_keeps_metadata_and_signature() -> None:
    assert legacy_double.__name__ == "_legacy_double"
    assert legacy_double.__doc__ == "Double x, the Twisted way."
    assert inspect.signature(legacy_double) == inspect.signature(_legacy_double)
    assert list(inspect.signature(legacy_double).parameters) == ["x"]
    assert inspect.iscoroutinefunction(legacy_double)


async def test_deferred_api_returns_a_deferred(reactor) -> None:
    d = add(1, scale=3)
    assert isinstance(d, defer.Deferred)
    assert await bridges.to_future(d) == 9


async def test_deferred_api_errors_reach_errbacks(reactor) -> None:
    @bridges.deferred_api
    async def fails() -> None:
        raise Boom("x")

    with pytest.raises(Boom):
        await bridges.to_future(fails())


async def test_async_api_awaitable_from_asyncio(reactor) -> None:
    assert await legacy_double(21) == 42
    assert await asyncio.create_task(legacy_double(1)) == 2
    assert await legacy_inline(4) == 9


async def test_async_api_cancel_cancels_the_deferred(reactor) -> None:
    cancelled: list[defer.Deferred] = []

    @bridges.async_api
    def never() -> defer.Deferred[None]:
        return defer.Deferred(cancelled.append)

    waiting = asyncio.create_task(never())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(cancelled) == 1


async def test_async_api_rejects_a_plain_value(reactor) -> None:
    @bridges.async_api
    def not_deferred() -> defer.Deferred[int]:
        return 3  # type: ignore[return-value]

    with pytest.raises(TypeError, match="to_future"):
        await not_deferred()


# -- deferred_coroutine ---------------------------------------------------------------------


def test_deferred_coroutine_keeps_metadata_and_signature() -> None:
    @bridges.deferred_coroutine
    async def fetch(url: str, *, retries: int = 3) -> bytes:
        """Fetch it."""
        return b""

    assert fetch.__name__ == "fetch"
    assert fetch.__doc__ == "Fetch it."
    assert str(inspect.signature(fetch)) == "(url: 'str', *, retries: 'int' = 3) -> 'bytes'"


def test_deferred_coroutine_runs_synchronously_until_first_suspension() -> None:
    # No loop, no reactor needed for pure-Deferred code: like @inlineCallbacks.
    steps: list[str] = []
    gate: defer.Deferred[str] = defer.Deferred()

    @bridges.deferred_coroutine
    async def body() -> str:
        steps.append("start")
        value = await defer.succeed("ready")
        steps.append(value)
        late = await gate
        steps.append(late)
        return "done"

    d = body()
    assert steps == ["start", "ready"]
    assert not d.called
    gate.callback("late")
    assert steps == ["start", "ready", "late"]
    assert d.result == "done"


def test_deferred_coroutine_errors_and_cancellation_like_inline_callbacks() -> None:
    gate: defer.Deferred[None] = defer.Deferred()

    @bridges.deferred_coroutine
    async def fails() -> None:
        await defer.succeed(None)
        raise Boom("x")

    failures: list = []
    fails().addErrback(failures.append)
    assert failures[0].check(Boom)

    @bridges.deferred_coroutine
    async def waits() -> None:
        await gate

    d = waits()
    d.cancel()
    d.addErrback(failures.append)
    assert failures[1].check(defer.CancelledError)
    assert gate.called  # the awaited Deferred was cancelled too
    gate.addErrback(lambda f: None)


async def test_deferred_coroutine_awaits_asyncio_futures_and_coroutines(reactor) -> None:
    loop = asyncio.get_running_loop()

    @bridges.deferred_coroutine
    async def mixed() -> int:
        await asyncio.sleep(0)  # a bare yield: one loop turn
        future = loop.create_future()
        loop.call_later(0.001, future.set_result, 10)
        a = await future  # a plain asyncio future
        b = await asyncio.ensure_future(asyncio.sleep(0.001, 5))  # a Task
        c = await defer.succeed(1)  # and still Deferreds
        d = await bridges.to_deferred(asyncio.sleep(0, 100))
        return a + b + c + d

    assert await bridges.to_future(mixed()) == 116


async def test_deferred_coroutine_cancel_cancels_the_awaited_future(reactor) -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    seen: list[BaseException] = []

    @bridges.deferred_coroutine
    async def waits() -> None:
        try:
            await future
        except BaseException as exc:
            seen.append(exc)
            raise

    d = waits()
    await asyncio.sleep(0)
    d.cancel()
    assert (await outcome_of(d)).check(defer.CancelledError)
    assert future.cancelled()
    # Awaiting asyncio, the body sees asyncio's CancelledError, as in a Task.
    assert [type(exc) for exc in seen] == [asyncio.CancelledError]


async def test_deferred_coroutine_cancelled_awaiting_a_deferred_sees_twisteds_error(
    reactor,
) -> None:
    seen: list[BaseException] = []

    @bridges.deferred_coroutine
    async def waits() -> None:
        try:
            await defer.Deferred()
        except BaseException as exc:
            seen.append(exc)
            raise

    d = waits()
    d.cancel()
    assert (await outcome_of(d)).check(defer.CancelledError)
    assert [type(exc) for exc in seen] == [defer.CancelledError]


async def test_deferred_coroutine_cancelled_in_a_lock_hands_the_lock_on(reactor) -> None:
    """asyncio.Lock passes the lock to the next waiter on asyncio's CancelledError only."""
    lock = asyncio.Lock()
    await lock.acquire()

    @bridges.deferred_coroutine
    async def first() -> None:
        async with lock:
            pass

    async def second() -> str:
        async with lock:
            return "second got it"

    d = first()
    d.addErrback(lambda failure: failure.trap(defer.CancelledError))
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(second())
    await asyncio.sleep(0)
    lock.release()  # the lock goes to ``first``, which is cancelled before it resumes
    d.cancel()
    assert await asyncio.wait_for(waiting, 10) == "second got it"


async def test_deferred_coroutine_asyncio_cancelled_error_becomes_twisted(reactor) -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    @bridges.deferred_coroutine
    async def waits() -> None:
        await future

    d = waits()
    await asyncio.sleep(0)
    future.cancel()  # cancelled from the asyncio side
    assert (await outcome_of(d)).check(defer.CancelledError)


def test_deferred_coroutine_rejects_a_plain_function() -> None:
    @bridges.deferred_coroutine
    def not_async() -> int:
        return 1

    with pytest.raises(TypeError, match=r"needs an async def function; .*returned int"):
        not_async()


def test_deferred_coroutine_on_a_non_asyncio_reactor(python) -> None:
    proc = python(
        """
        from twisted.internet import selectreactor
        selectreactor.install()
        from twisted.internet import reactor, task
        import bridges

        @bridges.deferred_coroutine
        async def main():
            await task.deferLater(reactor, 0.01, lambda: None)
            return type(reactor).__name__

        result = []
        reactor.callWhenRunning(
            lambda: main().addCallback(result.append).addBoth(lambda _: reactor.stop())
        )
        reactor.run()
        assert result == ["SelectReactor"], result
        """
    )
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "", ""), proc
