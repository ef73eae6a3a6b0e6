"""The anchor failures of issue 2, each next to the bridges call that fixes it.

Each test first shows the failure with Twisted's own API (Twisted 26.10, Tornado 6.6), so a
future Twisted that fixes it is noticed, then checks the bridges way on the same scenario.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import logging
import threading

import pytest
from twisted.internet import defer

import bridges

LOGGED = "ignore:an error was logged on 'bridges'"
where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="-")


async def test_awaiting_a_deferred_in_a_task(reactor) -> None:
    async def raw() -> object:
        return await defer.Deferred()

    with pytest.raises(RuntimeError, match="Task got bad yield"):
        await asyncio.create_task(raw())

    d = defer.Deferred()
    reactor.callLater(0, d.callback, "ok")
    assert await bridges.to_future(d) == "ok"


async def test_ensure_deferred_awaiting_an_asyncio_future(reactor) -> None:
    loop = asyncio.get_running_loop()

    async def raw() -> object:
        future = loop.create_future()
        loop.call_soon(future.set_result, 1)
        return await future

    with pytest.raises(RuntimeError, match="await wasn't used with future"):
        await bridges.to_future(defer.ensureDeferred(raw()))

    async def fixed() -> object:
        future = loop.create_future()
        loop.call_soon(future.set_result, 1)
        return await bridges.to_deferred(future)

    assert await bridges.to_future(defer.ensureDeferred(fixed())) == 1
    assert await bridges.to_future(bridges.deferred_coroutine(raw)()) == 1


async def test_as_future_consumes_the_result(reactor) -> None:
    raw = defer.succeed("value")
    await raw.asFuture(asyncio.get_running_loop())
    assert raw.result is None

    d = defer.succeed("value")
    assert await bridges.to_future(d) == "value"
    assert d.result == "value"


async def test_timeout_on_a_bridged_task(reactor) -> None:
    raw = defer.Deferred.fromFuture(asyncio.ensure_future(asyncio.sleep(60)))
    raw.addTimeout(0.01, reactor)
    with pytest.raises(asyncio.CancelledError):
        await bridges.to_future(raw)

    d = bridges.to_deferred(asyncio.sleep(60))
    d.addTimeout(0.01, reactor)
    with pytest.raises(defer.TimeoutError):
        await bridges.to_future(d)


async def test_cancel_before_the_task_starts(reactor, caplog) -> None:
    # Issue 2 reports a spurious "Unhandled error" here; with Twisted 26.10 this exact scenario
    # does not log, but the Deferred fails with asyncio's CancelledError, not Twisted's.
    async def settle() -> None:
        for _ in range(3):
            await asyncio.sleep(0)
            gc.collect()

    raw = defer.Deferred.fromFuture(asyncio.ensure_future(asyncio.sleep(1)))
    raw.cancel()
    raw_errors: list = []
    raw.addErrback(raw_errors.append)
    await settle()
    assert raw_errors[0].check(asyncio.CancelledError)
    assert not raw_errors[0].check(defer.CancelledError)

    d = bridges.to_deferred(asyncio.sleep(1))
    d.cancel()
    errors: list = []
    d.addErrback(errors.append)
    del d
    await settle()
    assert errors[0].check(defer.CancelledError)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_concurrent_future_callbacks_thread(reactor) -> None:
    loop_thread = threading.get_ident()
    release = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        raw_cf = pool.submit(release.wait, 10)
        raw = defer.Deferred.fromFuture(raw_cf)
        raw_seen: list[int] = []
        raw.addCallback(lambda _: raw_seen.append(threading.get_ident()))
        cf = pool.submit(release.wait, 10)
        d = bridges.to_deferred(cf)
        seen: list[int] = []
        d.addCallback(lambda _: seen.append(threading.get_ident()))
        release.set()
        await asyncio.wait_for(bridges.to_future(d), 10)
        await asyncio.wait_for(asyncio.wrap_future(raw_cf), 10)
    assert raw_seen
    assert raw_seen[0] != loop_thread
    assert seen == [loop_thread]


async def test_call_later_context(reactor) -> None:
    done = defer.Deferred()
    seen: dict[str, str] = {}

    def record(name: str) -> None:
        seen[name] = where.get()
        if len(seen) == 4:
            done.callback(None)

    raw_call_later = type(reactor).callLater  # Twisted's own, without bridges' context fix

    async def schedule(name: str, call_later) -> None:
        where.set(name)
        call_later(0.001 if name.startswith("first") else 0, record, name)

    await schedule("first-raw", lambda *a: raw_call_later(reactor, *a))
    await asyncio.create_task(schedule("second-raw", lambda *a: raw_call_later(reactor, *a)))
    await asyncio.create_task(schedule("first-bridged", reactor.callLater))
    await asyncio.create_task(schedule("second-bridged", reactor.callLater))
    await asyncio.wait_for(bridges.to_future(done), 10)
    assert seen["first-raw"] != "first-raw" or seen["second-raw"] != "second-raw"
    assert seen["first-bridged"] == "first-bridged"
    assert seen["second-bridged"] == "second-bridged"


@pytest.mark.filterwarnings(LOGGED)  # both orphans are logged on purpose
async def test_orphaned_errors_share_one_channel(reactor, caplog) -> None:
    def orphans() -> None:
        defer.fail(KeyError("twisted side"))
        asyncio.get_running_loop().create_future().set_exception(KeyError("asyncio side"))

    orphans()
    for _ in range(3):
        await asyncio.sleep(0)
        gc.collect()
    names = {(r.name, str(r.exc_info[1])) for r in caplog.records if r.exc_info}
    assert names == {("bridges", "'twisted side'"), ("bridges", "'asyncio side'")}
