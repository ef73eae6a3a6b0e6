"""Tornado: after install_reactor(), gen.coroutine may yield a Deferred (no extra import)."""

from __future__ import annotations

import asyncio

import pytest
from tornado import gen
from twisted.internet import defer


async def test_gen_coroutine_yields_a_deferred(reactor) -> None:
    @gen.coroutine
    def legacy(d):
        value = yield d
        raise gen.Return(value * 2)

    d: defer.Deferred[int] = defer.Deferred()
    reactor.callLater(0.001, d.callback, 21)
    assert await legacy(d) == 42
    # bridges.to_future does not consume the result, Tornado's own conversion would.
    assert d.result == 21


async def test_gen_coroutine_yields_a_fired_and_a_failed_deferred(reactor) -> None:
    @gen.coroutine
    def legacy():
        first = yield defer.succeed(1)
        try:
            yield defer.fail(KeyError("missing"))
        except KeyError as exc:
            return (first, exc.args[0])

    assert await legacy() == (1, "missing")


async def test_deferred_conversion_is_registered_on_convert_yielded(reactor) -> None:
    from bridges import _tornado

    assert gen.convert_yielded.dispatch(defer.Deferred) is _tornado._convert
    future = gen.convert_yielded(defer.succeed("x"))
    assert isinstance(future, asyncio.Future)
    assert future.result() == "x"


async def test_cancelling_the_converted_future_cancels_the_deferred(reactor) -> None:
    # The future convert_yielded returns is what Tornado's Runner waits on.
    cancelled: list[defer.Deferred] = []
    d: defer.Deferred[None] = defer.Deferred(cancelled.append)
    converted = gen.convert_yielded(d)
    converted.cancel()
    await asyncio.sleep(0)
    assert cancelled == [d]
    d.addErrback(lambda f: f.trap(defer.CancelledError))


async def test_cancelled_deferred_ends_the_coroutine(reactor) -> None:
    d: defer.Deferred[None] = defer.Deferred()

    @gen.coroutine
    def legacy():
        yield d

    coroutine_future = legacy()
    await asyncio.sleep(0)
    d.cancel()
    # Tornado's runner gets asyncio's CancelledError and ends the coroutine cancelled.
    with pytest.raises(asyncio.CancelledError):
        await coroutine_future
    assert coroutine_future.cancelled()
