"""bridges.from_callback and bridges.callback_api, on the real loop (and real Motor, Tornado)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from typing import Any

import pytest
import tornado.httpclient
import tornado.web

import bridges

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def later(*args: Any, callback: Any) -> None:
    """A callback API: calls ``callback(*args)`` on a later loop turn, as Tornado did."""
    asyncio.get_running_loop().call_soon(lambda: callback(*args))


# from_callback ------------------------------------------------------------------------------


async def test_tornado_style_single_argument_is_the_result() -> None:
    assert await bridges.from_callback(later, 42) == 42


async def test_a_tuple_result_stays_one_result() -> None:
    pair = ("value", ValueError("part of the result, not an error"))
    assert await bridges.from_callback(later, pair) is pair


async def test_no_argument_is_none() -> None:
    assert await bridges.from_callback(later) is None


async def test_motor_style_result() -> None:
    assert await bridges.from_callback(later, "doc", None) == "doc"


async def test_motor_style_error_is_raised_as_is() -> None:
    error = KeyError("gone")
    with pytest.raises(KeyError) as info:
        await bridges.from_callback(later, None, error)
    assert info.value is error


async def test_args_and_kwargs_reach_the_function() -> None:
    seen: list[Any] = []

    def api(a: int, b: int, *, scale: int, callback: Any) -> None:
        seen.append((a, b, scale))
        later((a + b) * scale, callback=callback)

    assert await bridges.from_callback(api, 1, 2, scale=10) == 30
    assert seen == [(1, 2, 10)]


async def test_synchronous_raise_propagates() -> None:
    def api(callback: Any) -> None:
        raise ValueError("bad argument")

    with pytest.raises(ValueError, match="bad argument"):
        await bridges.from_callback(api)


async def test_second_call_is_ignored_with_a_warning() -> None:
    calls: list[Any] = []

    def api(callback: Any) -> None:
        def twice() -> None:
            callback("first")
            with pytest.warns(bridges.CallbackCalledTwiceWarning, match="ignored"):
                callback("second")
            calls.append("done")

        asyncio.get_running_loop().call_soon(twice)

    assert await bridges.from_callback(api) == "first"
    assert calls == ["done"]


async def test_timeout_raises_timeout_error_and_ignores_the_late_call() -> None:
    saved: list[Any] = []
    with pytest.raises(TimeoutError):
        await bridges.from_callback(lambda callback: saved.append(callback), timeout=0.05)
    saved[0]("late")  # ignored: nobody waits; first call, so no warning either


async def test_result_within_the_timeout() -> None:
    assert await bridges.from_callback(later, "quick", timeout=5) == "quick"


async def test_cancellation_stops_the_wait() -> None:
    saved: list[Any] = []
    started = asyncio.Event()

    def api(callback: Any) -> None:
        saved.append(callback)
        started.set()

    task = asyncio.ensure_future(bridges.from_callback(api))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved[0]("too late")  # ignored without error


async def test_callback_from_another_thread_resolves_on_the_loop_thread() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def api(callback: Any) -> None:
        threading.Thread(target=callback, args=("from thread",)).start()

    result = await bridges.from_callback(api, timeout=10)
    seen.append(threading.get_ident())
    assert result == "from thread"
    assert seen == [loop_thread]


def test_a_late_call_from_a_thread_after_the_loop_closed_is_ignored() -> None:
    saved: list[Any] = []

    async def wait_briefly() -> None:
        with pytest.raises(TimeoutError):
            await bridges.from_callback(lambda callback: saved.append(callback), timeout=0.01)

    asyncio.run(wait_briefly())
    errors: list[BaseException] = []

    def late() -> None:
        try:
            saved[0]("late")
        except BaseException as exc:  # the test reports it
            errors.append(exc)

    thread = threading.Thread(target=late)
    thread.start()
    thread.join()
    assert errors == []


async def test_an_unknown_style_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="style must be 'auto', 'tornado' or 'motor'"):
        await bridges.from_callback(later, 1, style="bogus")  # type: ignore[arg-type]


async def test_a_callback_argument_is_refused() -> None:
    with pytest.raises(TypeError, match="passes its own callback="):
        await bridges.from_callback(later, 1, callback=print)


@pytest.mark.parametrize(
    ("style", "args", "kwargs", "message"),
    [
        ("auto", (1, 2, 3), {}, "3 arguments"),
        ("auto", (1, "not an error"), {}, "neither None nor an exception"),
        ("auto", (1,), {"error": None}, "keyword arguments"),
        ("tornado", (1, None), {}, "Tornado-style callback called with 2 arguments"),
        ("motor", (1,), {}, "Motor-style callback called with 1 arguments"),
    ],
)
async def test_a_call_fitting_no_convention_is_a_clear_error(
    style: str, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    def api(callback: Any) -> None:
        asyncio.get_running_loop().call_soon(lambda: callback(*args, **kwargs))

    with pytest.raises(bridges.CallbackStyleError, match=message) as info:
        await bridges.from_callback(api, style=style)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


async def test_forced_motor_style_with_none_error() -> None:
    assert await bridges.from_callback(later, [1, 2], None, style="motor") == [1, 2]


async def test_forced_tornado_style_keeps_a_none_pair_member() -> None:
    assert await bridges.from_callback(later, None, style="tornado") is None


# --8<-- [start:from_callback]
async def test_on_real_motor_callback_api(compat: None, motor_db: Any) -> None:
    result = await bridges.from_callback(motor_db.messages.insert_one, {"msg": "hi"})
    found = await bridges.from_callback(motor_db.messages.find_one, {"_id": result.inserted_id})
    assert found == {"_id": result.inserted_id, "msg": "hi"}


# --8<-- [end:from_callback]


async def test_on_real_fetch_callback_api(compat: None, serve: Any) -> None:
    class Hello(tornado.web.RequestHandler):
        def get(self) -> None:
            self.write("hello")

    base = serve([(r"/", Hello)])
    response = await bridges.from_callback(tornado.httpclient.AsyncHTTPClient().fetch, base)
    assert (response.code, response.body) == (200, b"hello")


# callback_api -------------------------------------------------------------------------------


# --8<-- [start:callback_api]
@bridges.callback_api
async def add(a: int, b: int) -> int:
    """Add, after a loop turn."""
    await asyncio.sleep(0)
    return a + b


@bridges.callback_api
async def fail(message: str) -> None:
    await asyncio.sleep(0)
    raise ValueError(message)


# --8<-- [end:callback_api]


@bridges.callback_api(style="motor")
async def motor_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@bridges.callback_api(style="motor")
async def motor_fail(message: str) -> None:
    await asyncio.sleep(0)
    raise ValueError(message)


async def test_without_callback_it_is_an_ordinary_coroutine_function() -> None:
    assert await add(1, 2) == 3
    assert await add(1, 2, callback=None) == 3


async def test_metadata_is_kept() -> None:
    assert add.__name__ == "add"
    assert add.__doc__ == "Add, after a loop turn."


async def test_tornado_style_callback_gets_the_result_later_in_the_callers_context() -> None:
    got = asyncio.get_running_loop().create_future()
    request_id.set("req-7")
    assert add(2, 3, callback=lambda r: got.set_result((r, request_id.get()))) is None
    assert not got.done()
    assert await asyncio.wait_for(got, 10) == (5, "req-7")


async def test_tornado_style_error_is_logged_by_the_ioloop_and_callback_not_called(
    caplog: pytest.LogCaptureFixture,
) -> None:
    called: list[Any] = []
    with caplog.at_level(logging.ERROR, logger="tornado.application"):
        fail("broken", callback=called.append)
        for _ in range(20):
            await asyncio.sleep(0)
            if caplog.records:
                break
    assert called == []
    [record] = caplog.records
    assert record.getMessage().startswith("Exception in callback")
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)
    assert str(record.exc_info[1]) == "broken"


async def test_motor_style_result_and_error() -> None:
    loop = asyncio.get_running_loop()
    ok, bad = loop.create_future(), loop.create_future()
    motor_add(1, 1, callback=lambda r, e: ok.set_result((r, e)))
    motor_fail("nope", callback=lambda r, e: bad.set_result((r, e)))
    assert await asyncio.wait_for(ok, 10) == (2, None)
    result, error = await asyncio.wait_for(bad, 10)
    assert result is None
    assert isinstance(error, ValueError)
    assert str(error) == "nope"


def test_needs_an_async_def() -> None:
    with pytest.raises(TypeError, match="async def"):
        bridges.callback_api(lambda: None)  # type: ignore[arg-type]


def test_with_callback_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="no running event loop"):
        add(1, 2, callback=print)


async def test_callback_must_be_callable() -> None:
    with pytest.raises(TypeError, match="callback must be a callable"):
        add(1, 2, callback="not callable")


async def test_round_trip_with_from_callback() -> None:
    assert await bridges.from_callback(add, 20, 22) == 42
    assert await bridges.from_callback(motor_add, 20, 22) == 42
    with pytest.raises(ValueError, match="motor way"):
        await bridges.from_callback(motor_fail, "motor way")


# --8<-- [start:callback_api_legacy]
async def test_legacy_asynchronous_handler_calls_it(compat: None, serve: Any) -> None:
    class Legacy(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            add(40, 2, callback=self._added)

        def _added(self, total: int) -> None:
            self.finish(str(total))

    class LegacyFailing(tornado.web.RequestHandler):
        @tornado.web.asynchronous  # type: ignore[attr-defined]
        def get(self) -> None:
            fail("deep down", callback=self.finish)

    base = serve([(r"/", Legacy), (r"/fail", LegacyFailing)])
    client = tornado.httpclient.AsyncHTTPClient()
    response = await client.fetch(base + "/")
    assert response.body == b"42"
    # The coroutine's exception reaches the handler that made the call: a 500, not a hang.
    response = await client.fetch(base + "/fail", raise_error=False, request_timeout=10)
    assert response.code == 500


# --8<-- [end:callback_api_legacy]
