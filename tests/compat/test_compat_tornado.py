"""The Tornado shims: @asynchronous, stack_context's error routing, gen.Task, fetch(callback=).

Every test runs a real Tornado server on loopback and talks to it with the real AsyncHTTPClient.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from typing import Any

import pytest
import tornado.concurrent
import tornado.gen
import tornado.httpclient
import tornado.netutil
import tornado.web
from tornado.ioloop import IOLoop

pytestmark = pytest.mark.usefixtures("compat")


async def fetch(url: str, **kwargs: Any) -> tornado.httpclient.HTTPResponse:
    kwargs.setdefault("raise_error", False)
    kwargs.setdefault("request_timeout", 10)
    return await tornado.httpclient.AsyncHTTPClient().fetch(url, **kwargs)


def make_handlers() -> list[Any]:
    class Later(tornado.web.RequestHandler):
        """Writes, returns, and finishes two loop turns later: no auto-finish."""

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            self.write("one ")
            IOLoop.current().add_callback(self._two)

        def _two(self) -> None:
            self.write("two ")
            IOLoop.current().call_later(0.01, self._three)

        def _three(self) -> None:
            self.finish("three")

    class Coroutine(tornado.web.RequestHandler):
        """@asynchronous on a method returning a coroutine: finished when it is done."""

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> Any:
            async def body() -> None:
                await asyncio.sleep(0)
                self.write("from a coroutine")

            return body()

    class Boom(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            self.write("lost on error")
            IOLoop.current().call_later(0.01, self._explode)

        def _explode(self) -> None:
            raise ZeroDivisionError("in a callback")

    class Unavailable(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            IOLoop.current().add_callback(self._refuse)

        def _refuse(self) -> None:
            raise tornado.web.HTTPError(503)

    class FinishedThenBoom(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            self.finish("done")
            IOLoop.current().add_callback(self._explode)

        def _explode(self) -> None:
            raise RuntimeError("after finish")

    class Nested(tornado.web.RequestHandler):
        """A callback scheduled by a callback still belongs to the handler."""

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            IOLoop.current().add_callback(
                lambda: IOLoop.current().add_future(
                    asyncio.ensure_future(asyncio.sleep(0.01)), self._explode
                )
            )

        def _explode(self, future: Any) -> None:
            raise KeyError("two levels down")

    return [
        (r"/later", Later),
        (r"/coroutine", Coroutine),
        (r"/boom", Boom),
        (r"/unavailable", Unavailable),
        (r"/finished-then-boom", FinishedThenBoom),
        (r"/nested", Nested),
    ]


async def test_asynchronous_does_not_auto_finish(serve: Any) -> None:
    response = await fetch(serve(make_handlers()) + "/later")
    assert (response.code, response.body) == (200, b"one two three")


async def test_asynchronous_coroutine_is_finished_when_done(serve: Any) -> None:
    response = await fetch(serve(make_handlers()) + "/coroutine")
    assert (response.code, response.body) == (200, b"from a coroutine")


async def test_exception_in_a_callback_is_a_500_and_logged(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        response = await fetch(serve(make_handlers()) + "/boom")
    assert response.code == 500
    assert b"lost on error" not in response.body
    [record] = [r for r in caplog.records if r.name == "tornado.application"]
    assert record.getMessage().startswith("Uncaught exception GET /boom")
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


async def test_http_error_in_a_callback_keeps_its_status(serve: Any) -> None:
    response = await fetch(serve(make_handlers()) + "/unavailable")
    assert response.code == 503


async def test_callback_of_a_callback_still_reaches_the_handler(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        response = await fetch(serve(make_handlers()) + "/nested")
    assert response.code == 500
    [record] = [r for r in caplog.records if r.name == "tornado.application"]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


async def test_exception_after_finish_is_only_logged(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        response = await fetch(serve(make_handlers()) + "/finished-then-boom")
        for _ in range(50):
            if caplog.records:
                break
            await asyncio.sleep(0.01)
    assert (response.code, response.body) == (200, b"done")
    [record] = caplog.records
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


async def test_callbacks_outside_handlers_are_untouched(caplog: pytest.LogCaptureFixture) -> None:
    def explode() -> None:
        raise LookupError("no handler here")

    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        IOLoop.current().add_callback(explode)
        for _ in range(50):
            if caplog.records:
                break
            await asyncio.sleep(0.01)
    [record] = caplog.records
    assert record.getMessage().startswith("Exception in callback")


# gen.Task -----------------------------------------------------------------------------------


def api(*results: Any, callback: Any, **kw_results: Any) -> None:
    IOLoop.current().add_callback(lambda: callback(*results, **kw_results))


async def test_task_single_argument() -> None:
    assert await tornado.gen.Task(api, "x") == "x"


async def test_task_no_argument() -> None:
    assert await tornado.gen.Task(api) is None


async def test_task_several_arguments_give_arguments() -> None:
    result = await tornado.gen.Task(api, 1, 2, key="v")
    assert isinstance(result, tornado.gen.Arguments)  # type: ignore[attr-defined]
    assert result == ((1, 2), {"key": "v"})
    assert (result.args, result.kwargs) == ((1, 2), {"key": "v"})


async def test_task_synchronous_raise_fails_the_future() -> None:
    def broken(callback: Any) -> None:
        raise ValueError("at once")

    future = tornado.gen.Task(broken)
    with pytest.raises(ValueError, match="at once"):
        await future


async def test_task_second_call_is_ignored() -> None:
    def twice(callback: Any) -> None:
        callback("first")
        callback("second")

    assert await tornado.gen.Task(twice) == "first"


async def test_task_in_a_gen_coroutine() -> None:
    @tornado.gen.coroutine
    def legacy() -> Any:
        value = yield tornado.gen.Task(api, 21)
        raise tornado.gen.Return(value * 2)

    assert await legacy() == 42


# AsyncHTTPClient.fetch(callback=) -------------------------------------------------------------


def fetch_handlers() -> list[Any]:
    class Hello(tornado.web.RequestHandler):
        def get(self) -> None:
            self.write("hello")

    class Missing(tornado.web.RequestHandler):
        def get(self) -> None:
            raise tornado.web.HTTPError(404)

    return [(r"/hello", Hello), (r"/missing", Missing)]


async def fetch_with_callback(url: str, **kwargs: Any) -> tornado.httpclient.HTTPResponse:
    got: asyncio.Future[tornado.httpclient.HTTPResponse] = (
        asyncio.get_running_loop().create_future()
    )
    calls: list[Any] = []

    def callback(response: tornado.httpclient.HTTPResponse) -> None:
        calls.append(response)
        got.set_result(response)

    tornado.httpclient.AsyncHTTPClient().fetch(url, callback=callback, **kwargs)
    response = await asyncio.wait_for(got, 10)
    await asyncio.sleep(0.01)
    assert calls == [response]  # exactly once
    return response


async def test_fetch_callback_gets_the_response(serve: Any) -> None:
    response = await fetch_with_callback(serve(fetch_handlers()) + "/hello")
    assert (response.code, response.body, response.error) == (200, b"hello", None)


async def test_fetch_callback_gets_an_http_error_as_a_response(serve: Any) -> None:
    response = await fetch_with_callback(serve(fetch_handlers()) + "/missing")
    assert response.code == 404
    assert isinstance(response.error, tornado.httpclient.HTTPClientError)


async def test_fetch_callback_gets_599_when_there_is_no_response() -> None:
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sock.getsockname()[1]
    sock.close()
    response = await fetch_with_callback(f"http://127.0.0.1:{port}/")
    assert response.code == 599
    assert isinstance(response.error, ConnectionRefusedError)


async def test_fetch_callback_passes_request_options(serve: Any) -> None:
    class Echo(tornado.web.RequestHandler):
        def post(self) -> None:
            self.write(self.request.body)

    response = await fetch_with_callback(serve([(r"/", Echo)]) + "/", method="POST", body="ping")
    assert response.body == b"ping"


async def test_fetch_without_callback_is_tornado_6s(serve: Any) -> None:
    with pytest.raises(tornado.httpclient.HTTPClientError):
        await tornado.httpclient.AsyncHTTPClient().fetch(serve(fetch_handlers()) + "/missing")


async def test_fetch_callback_must_be_callable() -> None:
    with pytest.raises(TypeError, match="callback must be a callable"):
        tornado.httpclient.AsyncHTTPClient().fetch("http://127.0.0.1:1/", callback="no")


async def test_exception_in_fetch_callback_reaches_the_handler(serve: Any) -> None:
    base = serve(fetch_handlers())

    class Proxy(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            tornado.httpclient.AsyncHTTPClient().fetch(base + "/hello", callback=self._got)

        def _got(self, response: tornado.httpclient.HTTPResponse) -> None:
            raise tornado.web.HTTPError(502)

    response = await fetch(serve([(r"/", Proxy)]) + "/")
    assert response.code == 502


async def test_asynchronous_over_gen_coroutine_and_synchronous_raise(serve: Any) -> None:
    class Stacked(tornado.web.RequestHandler):
        """The Tornado 3/4 idiom: @asynchronous on top of @gen.coroutine."""

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        @tornado.gen.coroutine
        def get(self) -> Any:
            value = yield tornado.gen.Task(api, "stacked")
            self.write(value)

    class FinishesItself(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        @tornado.gen.coroutine
        def get(self) -> Any:
            yield tornado.gen.moment
            self.finish("once")

    class RaisesAtOnce(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            raise tornado.web.HTTPError(418)

    base = serve([(r"/stacked", Stacked), (r"/itself", FinishesItself), (r"/raise", RaisesAtOnce)])
    assert (await fetch(base + "/stacked")).body == b"stacked"
    assert (await fetch(base + "/itself")).body == b"once"
    assert (await fetch(base + "/raise")).code == 418


# What stack_context covered beyond the handler's own callbacks --------------------------------


def failing_step(future: Any) -> None:
    raise ValueError("step failed")


async def test_native_coroutine_body_callbacks_reach_the_handler(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Native(tornado.web.RequestHandler):
        """An ``async def`` under @asynchronous: its body runs after the method returned."""

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        async def get(self, wait: str) -> None:
            if wait:
                await asyncio.sleep(0)
            self.step: Any = tornado.concurrent.Future()
            IOLoop.current().add_callback(failing_step, self.step)
            self.write(await self.step)

        def on_finish(self) -> None:
            self.step.cancel()  # the step never answers: stop waiting for it

    base = serve([(r"/(wait)?", Native)])
    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        assert (await fetch(base + "/wait")).code == 500
        assert (await fetch(base + "/")).code == 500
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [type(e) for e in errors] == [ValueError, ValueError]


async def test_asynchronous_coroutine_method_called_by_another_method_finishes(
    serve: Any,
) -> None:
    class Delegates(tornado.web.RequestHandler):
        """Tornado 5's wrapper returned None and finished the request itself."""

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        @tornado.gen.coroutine
        def get(self) -> Any:
            yield tornado.gen.moment
            self.write("listed")

        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def post(self) -> None:
            assert self.get() is None

    base = serve([(r"/", Delegates)])
    assert (await fetch(base + "/")).body == b"listed"
    assert (await fetch(base + "/", method="POST", body="")).body == b"listed"


async def test_add_future_on_an_executor_future_reaches_the_handler(serve: Any) -> None:
    class FromThread(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            # Done later, in the worker thread, which then schedules the callback.
            future = self.application.settings["executor"].submit(time.sleep, 0.05)
            IOLoop.current().add_future(future, failing_step)

    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        response = await fetch(serve([(r"/", FromThread)], executor=executor) + "/")
    assert response.code == 500


async def test_spawn_callback_is_not_the_handlers(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class FireAndForget(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            IOLoop.current().spawn_callback(self._audit)
            IOLoop.current().call_later(0.05, self.finish, "ok")

        def _audit(self) -> None:
            raise ConnectionError("audit sink down")

    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        response = await fetch(serve([(r"/", FireAndForget)]) + "/")
    assert (response.code, response.body) == (200, b"ok")
    [record] = caplog.records
    assert record.getMessage().startswith("Exception in callback")
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ConnectionError)


def schedules_a_failure(callback: Any) -> None:
    def fail() -> None:
        raise KeyError("missing")

    IOLoop.current().add_callback(fail)


async def test_task_fails_when_a_callback_of_its_function_raises() -> None:
    with pytest.raises(KeyError, match="missing"):
        await asyncio.wait_for(tornado.gen.Task(schedules_a_failure), 5)


async def test_task_failure_is_caught_inside_an_asynchronous_handler(serve: Any) -> None:
    class Catches(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        @tornado.gen.coroutine
        def get(self) -> Any:
            try:
                yield tornado.gen.Task(schedules_a_failure)
            except KeyError:
                self.write("caught")

    response = await fetch(serve([(r"/", Catches)]) + "/")
    assert (response.code, response.body) == (200, b"caught")


async def test_task_raise_after_the_callback_propagates() -> None:
    def calls_back_then_raises(callback: Any) -> None:
        callback("result")
        raise ValueError("after calling back")

    with pytest.raises(ValueError, match="after calling back"):
        tornado.gen.Task(calls_back_then_raises)


async def test_task_callback_failure_after_the_result_goes_to_the_handler(serve: Any) -> None:
    def answers_then_fails_later(callback: Any) -> None:
        callback("early")
        IOLoop.current().call_later(0.01, failing_step, None)

    class Outer(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        @tornado.gen.coroutine
        def get(self) -> Any:
            self.write((yield tornado.gen.Task(answers_then_fails_later)))
            yield tornado.gen.sleep(0.1)

    response = await fetch(serve([(r"/", Outer)]) + "/")
    assert response.code == 500


async def test_fetch_callback_future_fails_like_tornado_5(serve: Any) -> None:
    base = serve(fetch_handlers())
    client = tornado.httpclient.AsyncHTTPClient()
    got: list[Any] = []
    with pytest.raises(tornado.httpclient.HTTPClientError) as caught:
        await client.fetch(base + "/missing", callback=got.append)
    assert caught.value.code == 404
    response = await client.fetch(base + "/missing", callback=got.append, raise_error=False)
    assert response.code == 404
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        await client.fetch(f"http://127.0.0.1:{port}/", callback=got.append)
    await asyncio.sleep(0.01)
    assert [r.code for r in got] == [404, 404, 599]


async def test_a_cancelled_coroutine_is_a_500_not_a_hang(serve: Any) -> None:
    class Cancelled(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        async def get(self) -> None:
            waiting: Any = tornado.concurrent.Future()
            IOLoop.current().call_later(0.01, waiting.cancel)
            await waiting

    assert (await fetch(serve([(r"/", Cancelled)]) + "/")).code == 500
