"""The example of docs/bridges/testing.md: every kind of async test, in one module, on one loop.

It runs in the project's own session (where the bridges plugin is loaded), so the page's example
is code that runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_twisted
import tornado.web
from tornado import gen
from tornado.httpclient import AsyncHTTPClient
from twisted.internet import defer, task

import bridges


def _reactor() -> Any:
    # Imported late: the plugin installs the asyncio reactor when the session starts.
    from twisted.internet import reactor

    return reactor


# --8<-- [start:example]
# Plain async def tests and fixtures run as asyncio Tasks on the session's loop.
@pytest.fixture
async def greeting() -> AsyncIterator[str]:
    await asyncio.sleep(0)
    yield "hello"
    await asyncio.sleep(0)  # teardown runs on the same loop


async def test_plain_async(greeting: str) -> None:
    # asyncio and Twisted on the same loop: a Deferred is awaited through bridges.to_future.
    later = task.deferLater(_reactor(), 0.001, lambda: greeting)
    assert await bridges.to_future(later) == "hello"


# pytest-twisted's tests keep their meaning: Twisted drives them.
@pytest_twisted.inlineCallbacks
def test_inline_callbacks() -> Iterator[defer.Deferred[Any]]:
    value = yield task.deferLater(_reactor(), 0.001, lambda: 42)
    assert value == 42


@pytest_twisted.ensureDeferred
async def test_ensure_deferred() -> None:
    # Twisted-driven: asyncio work is awaited through bridges.to_deferred.
    assert await bridges.to_deferred(asyncio.sleep(0.001, result=7)) == 7


# pytest-tornado's gen_test runs on the same loop (io_loop is its Tornado IOLoop).
class Hello(tornado.web.RequestHandler):
    async def get(self) -> None:
        self.write("hello")


@pytest.fixture
def app() -> tornado.web.Application:
    return tornado.web.Application([("/", Hello)])


@pytest.mark.gen_test
def test_gen_test_generator(io_loop: Any) -> Iterator[Any]:
    yield gen.sleep(0.001)
    assert asyncio.get_running_loop() is io_loop.asyncio_loop


@pytest.mark.gen_test(timeout=10)
async def test_gen_test_http(http_client: AsyncHTTPClient, base_url: str) -> None:
    response = await http_client.fetch(base_url + "/")
    assert response.body == b"hello"


# Synchronous tests run outside the loop, as ordinary tests.
def test_sync_run_sync(io_loop: Any) -> None:
    async def three() -> int:
        return 3

    assert io_loop.run_sync(three) == 3


# --8<-- [end:example]


def test_all_of_it_ran_on_the_reactor_loop(io_loop: Any) -> None:
    assert io_loop.asyncio_loop is _reactor()._asyncioEventloop
