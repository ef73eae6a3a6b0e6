"""The bridges pytest plugin, run on small suites in child pytest processes (pytester).

Each suite runs in its own process: a Twisted reactor is installed once per process, and this
session already has one. Warnings are errors in every child session, as in the project's own.
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

_INI = """
[pytest]
addopts = -p no:cacheprovider
timeout = 60
filterwarnings =
    error
    # pytest-tornado 0.8.1: old-style hookimpl markers and a pkg_resources import.
    ignore:The hookimpl pytest_py:pytest.PytestRemovedIn10Warning
    ignore:pkg_resources is deprecated as an API:UserWarning
"""

_HEADER = """
import asyncio
import contextvars

import pytest
import pytest_twisted
import tornado.web
from tornado import gen
from twisted.internet import defer, reactor, task

from bridges import to_future

VAR = contextvars.ContextVar("VAR", default="unset")


@pytest.fixture
def ctx():
    token = VAR.set("from a sync fixture")
    yield
    VAR.reset(token)


@pytest.fixture
async def plain_fixture():
    await asyncio.sleep(0)
    return asyncio.get_running_loop()


@pytest.fixture
async def plain_yield_fixture():
    await asyncio.sleep(0)
    yield "set up"
    await asyncio.sleep(0)


@pytest_twisted.async_fixture
async def twisted_fixture():
    await task.deferLater(reactor, 0, lambda: None)
    return "twisted"


@pytest_twisted.async_yield_fixture
async def twisted_yield_fixture():
    await task.deferLater(reactor, 0, lambda: None)
    yield "twisted yield"


class Hello(tornado.web.RequestHandler):
    async def get(self):
        await asyncio.sleep(0)
        self.write("hello")


@pytest.fixture
def app():
    return tornado.web.Application([("/", Hello)])
"""

_TWISTED_TESTS = """
@pytest_twisted.inlineCallbacks
def test_twisted_inline_callbacks(twisted_fixture):
    value = yield task.deferLater(reactor, 0.001, lambda: twisted_fixture)
    assert value == "twisted"


@pytest_twisted.ensureDeferred
async def test_twisted_ensure_deferred(twisted_yield_fixture):
    assert await task.deferLater(reactor, 0.001, lambda: 7) == 7
    assert twisted_yield_fixture == "twisted yield"
"""

_TORNADO_TESTS = """
@pytest.mark.gen_test
def test_gen_test_generator(io_loop):
    # All of it runs on the loop, also the part before the first yield.
    assert asyncio.get_running_loop() is io_loop.asyncio_loop is reactor._asyncioEventloop
    yield gen.sleep(0.001)
    assert asyncio.get_running_loop() is io_loop.asyncio_loop


@pytest.mark.gen_test(timeout=10)
async def test_gen_test_coroutine(io_loop):
    await gen.sleep(0.001)
    assert asyncio.get_running_loop() is io_loop.asyncio_loop is reactor._asyncioEventloop


@pytest.mark.gen_test
async def test_gen_test_http(http_client, base_url):
    response = await http_client.fetch(base_url + "/")
    assert response.body == b"hello"
"""

_PLAIN_TESTS = """
async def test_plain_async(plain_fixture, plain_yield_fixture, ctx):
    await asyncio.sleep(0.001)
    assert asyncio.get_running_loop() is plain_fixture is reactor._asyncioEventloop
    assert plain_yield_fixture == "set up"
    assert VAR.get() == "from a sync fixture"
    assert await to_future(task.deferLater(reactor, 0.001, lambda: 3)) == 3


def test_plain_sync_runs_outside_the_loop(io_loop):
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()

    async def three():
        return 3

    assert io_loop.run_sync(three) == 3
    assert asyncio.run(three()) == 3
"""


# Warnings as errors from the command line too; pytest-tornado's import-time warning is the one
# exception (named in _INI), and -W options given later take precedence.
_STRICT = (
    "-W",
    "error",
    "-W",
    "ignore:pkg_resources is deprecated as an API:UserWarning",
    "-W",
    "ignore:The hookimpl pytest_py:pytest.PytestRemovedIn10Warning",
)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(_INI)
    return pytester


def _module(*blocks: str) -> str:
    return textwrap.dedent(_HEADER) + "".join(textwrap.dedent(b) for b in blocks)


@pytest.mark.parametrize(
    "order",
    [
        pytest.param((_TWISTED_TESTS, _TORNADO_TESTS, _PLAIN_TESTS), id="twisted-first"),
        pytest.param((_TORNADO_TESTS, _PLAIN_TESTS, _TWISTED_TESTS), id="tornado-first"),
        pytest.param((_PLAIN_TESTS, _TWISTED_TESTS, _TORNADO_TESTS), id="plain-first"),
    ],
)
def test_mixed_suite_shares_one_loop_in_any_order(
    suite: pytest.Pytester, order: tuple[str, ...]
) -> None:
    suite.makepyfile(test_mixed=_module(*order))
    result = suite.runpytest_subprocess(*_STRICT)
    result.assert_outcomes(passed=7)
    assert "warning" not in result.stdout.str().lower()


def test_without_the_plugin_gen_test_fails_after_a_twisted_test(suite: pytest.Pytester) -> None:
    """The failures the plugin exists for (proves the mixed suite can fail)."""
    suite.makepyfile(test_mixed=_module(_TWISTED_TESTS, _TORNADO_TESTS))
    # One-line tracebacks: on CPython 3.11.7, pytest's rendering of these failures (which parses
    # the source with ast) now and then dies with "SystemError: AST constructor recursion depth
    # mismatch" after pytest-twisted's greenlet switches (CPython gh-106905, pytest #10763).
    without = ("-p", "no:bridges", "--reactor=asyncio", "--tb=line")
    result = suite.runpytest_subprocess(*_STRICT, *without)
    result.assert_outcomes(passed=2, errors=3)
    result.stdout.fnmatch_lines(["*DeprecationWarning: make_current is deprecated*"])

    # With Tornado's warnings silenced, the loop clash shows: the first gen_test cannot run its
    # IOLoop, and the next ones run on a loop of their own, not on the reactor's.
    silenced = [
        f"-Wignore:{name}_current is deprecated:DeprecationWarning" for name in ("make", "clear")
    ]
    result = suite.runpytest_subprocess(*_STRICT, *silenced, *without)
    assert result.parseoutcomes()["passed"] <= 3  # the two Twisted tests, at most one other
    result.stdout.fnmatch_lines(
        [
            "*: RuntimeError: Cannot run the event loop while another loop is running",
            "FAILED test_mixed.py::test_gen_test_generator - RuntimeError*",
        ]
    )


def test_another_reactor_is_a_usage_error(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_one="def test_one():\n    pass\n")
    result = suite.runpytest_subprocess("--reactor=qt5reactor")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--reactor=qt5reactor*needs --reactor=asyncio*-p no:bridges*"])


def test_a_hanging_async_test_fails_with_where_it_waits(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_hang="""
        import asyncio
        import pytest

        async def wait_forever():
            await asyncio.get_running_loop().create_future()

        @pytest.mark.timeout(3)
        async def test_hangs():
            await wait_forever()

        async def test_after_it():
            await asyncio.sleep(0)
        """
    )
    result = suite.runpytest_subprocess(*_STRICT)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the async test test_hang.py::test_hangs did not finish in time*",
            "*test_hang.py*in test_hangs",
            "*test_hang.py*in wait_forever",
            "  awaiting <Future pending*",
        ]
    )
    assert "Timeout" not in result.stdout.str()  # the plugin, not pytest-timeout, stopped it


def test_an_async_test_without_pytest_timeout_uses_async_test_timeout(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(
        test_hang="""
        import asyncio

        async def test_hangs():
            await asyncio.Event().wait()
        """
    )
    suite.makeini(_INI.replace("timeout = 60\n", ""))
    result = suite.runpytest_subprocess(*_STRICT, "-p", "no:timeout", "--async-test-timeout=1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*did not finish in time*", "*in test_hangs"])


_LEFTOVER_TASK = """
import asyncio

async def forever():
    await asyncio.Event().wait()

async def test_leaves_a_task():
    test_leaves_a_task.task = asyncio.ensure_future(forever())

async def test_later():
    assert test_leaves_a_task.task.cancelled()
"""


def test_a_pending_task_fails_the_test_under_warnings_as_errors(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_leftover=_LEFTOVER_TASK)
    result = suite.runpytest_subprocess(*_STRICT)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*PendingTaskWarning: test_leftover.py::test_leaves_a_task left 1 task(s) pending*"]
    )


def test_a_pending_task_is_reported_without_warnings_as_errors(suite: pytest.Pytester) -> None:
    suite.makeini(_INI.replace("    error\n", ""))
    suite.makepyfile(test_leftover=_LEFTOVER_TASK)
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*PendingTaskWarning*", "*in forever"])


def test_unhandled_errors_of_both_worlds_are_reported(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_orphans="""
        import asyncio
        import gc

        import pytest
        from twisted.internet import defer

        async def test_orphaned_deferred():
            d = defer.Deferred()
            d.errback(ValueError("nobody handled this Deferred"))
            del d
            gc.collect()

        async def test_orphaned_future():
            future = asyncio.get_running_loop().create_future()
            future.set_exception(KeyError("nobody retrieved this future"))
            del future
            gc.collect()

        async def test_clean():
            await asyncio.sleep(0)

        @pytest.mark.filterwarnings("ignore::bridges.pytest_plugin.UnhandledErrorWarning")
        async def test_logs_on_purpose(caplog):
            d = defer.Deferred()
            d.errback(ValueError("expected here"))
            del d
            gc.collect()
            assert "expected here" in caplog.text
        """
    )
    result = suite.runpytest_subprocess(*_STRICT)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*UnhandledErrorWarning: an error was logged on 'bridges'*test_orphaned_deferred*",
            "*nobody handled this Deferred*",
        ],
        consecutive=False,
    )
    result.stdout.fnmatch_lines(["*nobody retrieved this future*"])


def test_sync_tests_and_the_shared_ioloop(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_sync="""
        import asyncio

        import pytest
        from twisted.internet import defer


        def test_returns_a_deferred_that_is_waited_for():
            from twisted.internet import reactor

            d = defer.Deferred()
            reactor.callLater(0.001, d.callback, None)
            test_returns_a_deferred_that_is_waited_for.d = d
            return d


        def test_the_deferred_had_fired():
            assert test_returns_a_deferred_that_is_waited_for.d.called


        def test_returns_a_failing_deferred():
            return defer.fail(ValueError("from a returned Deferred"))


        def test_the_shared_ioloop_cannot_be_closed(io_loop):
            with pytest.raises(RuntimeError, match="shared by the whole session"):
                io_loop.close()


        def test_start_and_stop(io_loop):
            io_loop.add_callback(io_loop.stop)
            io_loop.start()


        async def test_run_sync_inside_the_loop_is_a_clear_error(io_loop):
            with pytest.raises(RuntimeError, match="await the work instead"):
                io_loop.run_sync(asyncio.sleep)
        """
    )
    result = suite.runpytest_subprocess(*_STRICT)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*ValueError: from a returned Deferred*"])


def test_a_reactor_imported_too_early_is_a_usage_error(suite: pytest.Pytester) -> None:
    suite.makeconftest("from twisted.internet import reactor\n")
    suite.makepyfile(test_one="def test_one():\n    pass\n")
    result = suite.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*cannot install Twisted's asyncio reactor*imported twisted.internet.reactor*"]
    )


def test_a_session_without_async_tests_starts_and_ends_cleanly(suite: pytest.Pytester) -> None:
    """The reactor's greenlet never runs here; ending the session must not hang or leak."""
    suite.makepyfile(test_one="def test_one():\n    pass\n")
    result = suite.runpytest_subprocess(*_STRICT, timeout=60)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


def test_a_hanging_fixture_of_a_wider_scope_times_out_too(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_hang="""
        import asyncio
        import pytest

        @pytest.fixture(scope="module")
        async def never_ready():
            await asyncio.Event().wait()

        @pytest.mark.timeout(3)
        async def test_needs_it(never_ready):
            pass

        async def test_after_it():
            await asyncio.sleep(0)
        """
    )
    result = suite.runpytest_subprocess(*_STRICT)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*the async fixture 'never_ready' did not finish in time*", "*in never_ready"]
    )


def test_gen_test_keeps_pytest_tornados_timeout(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_hang="""
        import asyncio
        import pytest
        from tornado import gen

        @pytest.mark.gen_test(timeout=1)
        async def test_hangs_async():
            await asyncio.Event().wait()

        @pytest.mark.gen_test
        def test_hangs_generator():
            yield gen.sleep(60)

        @pytest.mark.gen_test
        async def test_after_them():
            await gen.sleep(0)
        """
    )
    result = suite.runpytest_subprocess(*_STRICT, "--async-test-timeout=1")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*TimeoutError: Operation timed out after 1* seconds*"])


def test_without_pytest_twisted_the_plugin_stands_aside(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_plain="""
        import sys

        def test_sync():
            assert "twisted.internet.reactor" not in sys.modules

        async def test_async():
            pass
        """
    )
    result = suite.runpytest_subprocess(*_STRICT, "-p", "no:twisted")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
