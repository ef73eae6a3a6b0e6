"""pytest plugin of bridges: one asyncio loop, with Twisted's asyncio reactor on it, per session.

Registered as the ``bridges`` ``pytest11`` entry point, so it loads by itself; ``-p no:bridges``
turns it off. It needs pytest-twisted (the ``test`` extra); without it the plugin does nothing.

What it does, and why:

- It creates one asyncio loop for the session and installs Twisted's asyncio reactor on it.
  pytest-twisted's reactor option defaults to ``asyncio`` (``--reactor=default`` means that too);
  any other reactor is a usage error, since Twisted and asyncio could not share a loop.
- pytest-twisted runs that reactor (hence the loop) in a greenlet and switches to it whenever a
  test waits. asyncio keeps "the running loop" per thread, not per greenlet, so after the first
  switch the main greenlet would believe the loop is running there: that is why pytest-tornado's
  ``gen_test`` fails with "Cannot run the event loop while another loop is running" once a
  pytest-twisted test has run. The plugin keeps the running loop per greenlet.
- pytest-tornado's ``io_loop`` fixture returns the Tornado ``IOLoop`` of the shared loop, whose
  ``start``/``stop`` (hence ``run_sync`` and ``gen_test``, with its timeout) run the shared loop
  through pytest-twisted's greenlet. Closing it is an error: the plugin closes it at the end.
  A generator ``gen_test`` is handed to pytest-tornado as a coroutine function, so that it runs
  on the loop from its first line, as an ``async def`` one does.
- Plain ``async def`` tests and plain async (generator) fixtures run as asyncio Tasks on the
  shared loop. Tests and fixtures marked by pytest-twisted (``inlineCallbacks``,
  ``ensureDeferred``, ``async_fixture``, ``async_yield_fixture``) keep pytest-twisted's semantics:
  Twisted drives those coroutines.
- Plain synchronous tests run as ordinary pytest tests, outside the loop (pytest-twisted would
  otherwise run them inside the reactor, where ``io_loop.run_sync`` or ``asyncio.run`` cannot
  work). A synchronous test that returns a Deferred is waited for, as pytest-twisted does.
- A plain async test or fixture that does not finish in time is cancelled and fails with the
  place where it was waiting, a little before pytest-timeout would fire (its timeout for the test,
  counted from the start of the test's setup); without pytest-timeout, ``--async-test-timeout``
  (pytest-tornado's option) bounds it.
- Leftovers are reported as warnings, in the manner of pytest's own unraisable-exception
  warnings, so that ``-W error`` (or ``filterwarnings = error``) turns them into failures:
  `PendingTaskWarning` for a task a plain async test left running (the plugin waits a little,
  then cancels it), `UnhandledErrorWarning` for an error logged on the ``bridges`` or ``asyncio``
  logger while a test ran (an unretrieved failed future or Deferred ends up there).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import inspect
import logging
import sys
import time
import types
import warnings
import weakref
from collections.abc import Callable, Coroutine, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from tornado.platform.asyncio import AsyncIOMainLoop

__all__ = ["BridgesTestWarning", "PendingTaskWarning", "UnhandledErrorWarning"]

_T = TypeVar("_T")

# The attribute pytest-twisted puts on the tests and fixtures it runs itself.
_TWISTED_MARK = "_pytest_twisted_mark"
# Loggers on which an unhandled error of a test shows up: bridges routes Twisted's unhandled
# Deferred errors and asyncio's exception handler to "bridges"; "asyncio" is the stdlib default.
_WATCHED_LOGGERS = ("bridges", "asyncio")
# How long the plugin waits for a task a test left behind, then for it to honour its cancel.
_LEFTOVER_GRACE = 1.0
# Seconds before pytest-timeout's deadline at which the plugin gives up on an async test itself:
# pytest-timeout's signal would otherwise land inside the reactor's greenlet and kill it.
_TIMEOUT_MARGIN = 1.0


class BridgesTestWarning(pytest.PytestWarning):
    """Base of the warnings the bridges pytest plugin issues about a test."""


class PendingTaskWarning(BridgesTestWarning):
    """A plain ``async def`` test finished while a task it started was still pending."""


class UnhandledErrorWarning(BridgesTestWarning):
    """An error was logged on the ``bridges`` or ``asyncio`` logger while the test ran."""


_session_key = pytest.StashKey["_Session"]()
_start_key = pytest.StashKey[float]()


class _RecordCollector(logging.Handler):
    """Keeps the error records logged on the watched loggers until the plugin looks at them."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def drain(self) -> list[logging.LogRecord]:
        records, self.records = self.records, []
        return records


class _RunningLoopPerGreenlet:
    """Keeps asyncio's "running loop" per greenlet instead of per thread.

    The switch trace saves the running loop of the greenlet being left and restores the one of
    the greenlet being entered (none for a greenlet never seen), so code in the main greenlet
    never sees the loop that pytest-twisted's greenlet is in the middle of running.
    """

    def __init__(self) -> None:
        import greenlet  # type: ignore[import-untyped]

        self._greenlet = greenlet
        self._loops: weakref.WeakKeyDictionary[Any, asyncio.AbstractEventLoop | None] = (
            weakref.WeakKeyDictionary()
        )
        self._previous = greenlet.settrace(self._trace)

    def _trace(self, event: str, args: tuple[Any, Any]) -> None:
        if event in ("switch", "throw"):
            origin, target = args
            self._loops[origin] = asyncio._get_running_loop()
            asyncio._set_running_loop(self._loops.pop(target, None))
        if self._previous is not None:
            self._previous(event, args)

    def close(self) -> None:
        self._greenlet.settrace(self._previous)


def _tornado_loop_class() -> type[AsyncIOMainLoop]:
    from tornado.platform.asyncio import AsyncIOMainLoop

    class SharedIOLoop(AsyncIOMainLoop):
        """The Tornado IOLoop of the session's shared asyncio loop.

        pytest-twisted's greenlet is what runs the asyncio loop, so ``start`` switches to it
        until ``stop`` is called; ``run_sync`` (built on the two) works from synchronous test
        code and fixtures, as pytest-tornado's ``gen_test`` needs.
        """

        _session: _Session
        _stopping: Any = None
        _stop_requested = False

        def start(self) -> None:
            from twisted.internet.defer import Deferred

            self._session.check_outside_loop("IOLoop.start() or run_sync()")
            if self._stopping is not None:
                raise RuntimeError("the shared IOLoop is already started")
            stopping: Deferred[None] = Deferred()
            if self._stop_requested:
                # Like asyncio's run_forever after stop(): one pass over the loop, then return.
                self._stop_requested = False
                self.asyncio_loop.call_soon(stopping.callback, None)
            self._stopping = stopping
            try:
                self._session.block_on(stopping)
            finally:
                self._stopping = None

        def stop(self) -> None:
            stopping, self._stopping = self._stopping, None
            if stopping is None:
                self._stop_requested = True
            else:
                # Fire on the next loop pass: stop() may be called from deep in a callback.
                self.asyncio_loop.call_soon(stopping.callback, None)

        def close(self, all_fds: bool = False) -> None:
            raise RuntimeError(
                "the IOLoop of the bridges pytest plugin is shared by the whole session; "
                "the plugin closes it when the session ends"
            )

        def _close_for_real(self) -> None:
            super().close(all_fds=False)

    return SharedIOLoop


@dataclasses.dataclass
class _Outcome:
    timed_out_at: str | None = None


class _Session:
    """The shared loop, its reactor and Tornado IOLoop, and the means to run work on them."""

    def __init__(self) -> None:
        import pytest_twisted  # type: ignore[import-untyped]

        self._pytest_twisted = pytest_twisted
        self.loop = _shared_loop()
        asyncio.set_event_loop(self.loop)
        self._greenlets = _RunningLoopPerGreenlet()
        self.ioloop: Any = None
        try:
            loop_class = _tornado_loop_class()
        except ImportError:  # pragma: no cover - Tornado is a dependency of bridges
            pass
        else:
            loop_class._session = self  # type: ignore[attr-defined]
            self.ioloop = loop_class(make_current=False)
        self.item: pytest.Item | None = None
        # pytest-twisted's installer for "asyncio", put back when the session ends.
        self.own_installer: Callable[[], None] | None = None
        self.collector = _RecordCollector()
        for name in _WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self.collector)

    def close(self) -> None:
        """Close the loop once pytest-twisted has stopped the reactor."""
        for name in _WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self.collector)
        self._greenlets.close()
        loop = self.loop
        if loop.is_running() or loop.is_closed():
            return
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=_LEFTOVER_GRACE))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        if self.ioloop is not None:
            self.ioloop._close_for_real()
        else:
            loop.close()
        asyncio.set_event_loop(None)

    def check_outside_loop(self, what: str) -> None:
        import greenlet

        if greenlet.getcurrent() is self._pytest_twisted._instances.gr_twisted:
            raise RuntimeError(
                f"{what} was called from code running on the shared loop (inside a test "
                "run by pytest-twisted, or a callback); await the work instead"
            )

    def block_on(self, deferred: Any) -> Any:
        """Run the shared loop (in pytest-twisted's greenlet) until ``deferred`` fires."""
        return self._pytest_twisted.blockon(deferred)

    def run(self, coro: Coroutine[Any, Any, _T], deadline: float | None, what: str) -> _T:
        """Run ``coro`` as a Task on the shared loop and return its result (or raise).

        ``deadline`` (``time.monotonic()`` based): past it, the task is cancelled and the call
        fails, naming where the coroutine was waiting.
        """
        from twisted.internet.defer import Deferred

        self.check_outside_loop(what)
        loop = self.loop
        done: Deferred[None] = Deferred()
        outcome = _Outcome()
        # The task runs in a copy of the caller's context, as if it were created right here.
        task = loop.create_task(coro, context=contextvars.copy_context())

        def give_up() -> None:
            if not done.called:
                done.callback(None)

        task.add_done_callback(lambda _: give_up())

        def time_out() -> None:
            outcome.timed_out_at = _where(task)
            task.cancel(f"{what} timed out")
            # Within the margin left before pytest-timeout's own deadline.
            loop.call_later(_TIMEOUT_MARGIN / 2, give_up)

        timer = None
        if deadline is not None:
            timer = loop.call_later(max(deadline - time.monotonic(), 0.0), time_out)
        try:
            self.block_on(done)
        finally:
            if timer is not None:
                timer.cancel()
        if outcome.timed_out_at is not None:
            if task.done() and not task.cancelled() and task.exception() is None:
                # It finished in the same pass as the timer fired: a result is a result.
                return task.result()
            state = "" if task.done() else " and did not stop when cancelled"
            pytest.fail(
                f"{what} did not finish in time{state}; it was waiting at:\n{outcome.timed_out_at}",
                pytrace=False,
            )
        return task.result()

    def settle(self, before: set[asyncio.Task[Any]]) -> list[str]:
        """Wait a little for the tasks started since ``before``; cancel and describe the rest."""

        async def settle() -> list[str]:
            me = asyncio.current_task()
            # Tasks that only need a loop pass or two to finish (a cancelled one, a callback
            # chain) are not leftovers.
            for _ in range(3):
                await asyncio.sleep(0)
            left = asyncio.all_tasks() - before - {me}
            if not left:
                return []
            _, pending = await asyncio.wait(left, timeout=_LEFTOVER_GRACE)
            described = [f"{task!r} waiting at:\n{_where(task)}" for task in pending]
            for task in pending:
                task.cancel("left pending by a test; cancelled by the bridges pytest plugin")
            if pending:
                await asyncio.wait(pending, timeout=_LEFTOVER_GRACE)
            return described

        return self.run(settle(), None, "the check for leftover tasks")


def _shared_loop() -> asyncio.AbstractEventLoop:
    """A new loop with Twisted's asyncio reactor installed on it (or the one it already has).

    The reactor is installed but not started: pytest-twisted's greenlet runs it
    (``reactor.run()``), which it does only for a reactor that is not running yet.
    """
    from bridges._exceptions import ReactorMismatchError
    from bridges._reactor import install_on

    existing: Any = sys.modules.get("twisted.internet.reactor")
    loop = getattr(existing, "_asyncioEventloop", None) or asyncio.new_event_loop()
    try:
        reactor = install_on(loop, start=False)
    except ReactorMismatchError as exc:
        if existing is None:
            loop.close()
        raise pytest.UsageError(
            f"the bridges pytest plugin cannot install Twisted's asyncio reactor: {exc} "
            "(in a test session: something, such as a conftest.py or a plugin, imported "
            "twisted.internet.reactor at import time; import it inside tests and fixtures, "
            "or disable the plugin with -p no:bridges)"
        ) from exc
    if reactor.running or loop.is_running():
        raise pytest.UsageError(
            "Twisted's asyncio reactor is already running; pytest-twisted can only drive a "
            "reactor that it starts itself"
        )
    return loop


def _adopt_installed_reactor() -> None:
    """pytest-twisted's installer for ``--reactor=asyncio``, minus creating another reactor.

    pytest-twisted's own installer builds a second ``AsyncioSelectorReactor`` (with a loop of its
    own) before it finds ours installed, and leaks both; this only hands ours to pytest-twisted.
    """
    import pytest_twisted
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor

    pytest_twisted._install_reactor(
        reactor_installer=lambda: None, reactor_type=AsyncioSelectorReactor
    )


def _where(task: asyncio.Task[Any]) -> str:
    """Where a suspended task is waiting: its chain of awaits, innermost last."""
    lines = []
    awaitable: Any = task.get_coro()
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            if not inspect.iscoroutine(awaitable) and not inspect.isgenerator(awaitable):
                # What a coroutine awaits is a future's iterator; the task knows the future.
                waiter = getattr(task, "_fut_waiter", None)
                lines.append(f"  awaiting {waiter if waiter is not None else awaitable!r}")
            break
        code = frame.f_code
        lines.append(f'  File "{code.co_filename}", line {frame.f_lineno}, in {code.co_name}')
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return "\n".join(lines) or f"  {task!r}"


def _session(config: pytest.Config) -> _Session | None:
    return config.stash.get(_session_key, None)


def _is_plain_async(func: object) -> bool:
    return (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)) and getattr(
        func, _TWISTED_MARK, None
    ) is None


def _deadline(item: pytest.Item) -> float | None:
    """When a plain async test or fixture of ``item`` must be done (``time.monotonic()``)."""
    start = item.stash.get(_start_key, time.monotonic())
    timeout = _pytest_timeout(item)
    if timeout:
        return start + max(timeout - _TIMEOUT_MARGIN, timeout / 2)
    fallback = item.config.getoption("async_test_timeout", None)
    return time.monotonic() + float(fallback) if fallback else None


def _pytest_timeout(item: pytest.Item) -> float | None:
    if not item.config.pluginmanager.has_plugin("timeout"):
        return None
    try:
        from pytest_timeout import _get_item_settings  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - another pytest-timeout layout
        return None
    timeout = _get_item_settings(item).timeout
    return float(timeout) if timeout else None


class _TornadoSide:
    """What the plugin changes for pytest-tornado; registered at configure time, after it."""

    def __init__(self, session: _Session) -> None:
        self._session = session

    @pytest.fixture
    def io_loop(self) -> Any:
        """The Tornado IOLoop of the session's shared asyncio loop (see the module docstring).

        Registered after pytest-tornado, so this definition is the one pytest uses.
        """
        return self._session.ioloop

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, object, object]:
        """Run all of a generator ``gen_test`` on the loop, not just what follows its first yield.

        pytest-tornado calls a generator test (so runs it up to its first ``yield``) before it
        starts the loop with ``run_sync``. Handing it a coroutine function instead, which calls
        the generator from inside the loop, is what it does for ``async def`` tests already.
        """
        func = pyfuncitem.obj
        if pyfuncitem.get_closest_marker("gen_test") is None or not inspect.isgeneratorfunction(
            func
        ):
            return (yield)
        from tornado import gen

        @functools.wraps(func)
        async def on_the_loop(*args: Any, **kwargs: Any) -> Any:
            return await gen.coroutine(func)(*args, **kwargs)

        pyfuncitem.obj = on_the_loop
        try:
            return (yield)
        finally:
            pyfuncitem.obj = func


# ---------------------------------------------------------------------------------------------
# Hooks


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Install the asyncio reactor on a new shared loop before pytest-twisted looks for one."""
    if not config.pluginmanager.has_plugin("twisted"):
        return
    reactor_choice = config.getoption("reactor", "default")
    if reactor_choice == "default":
        config.option.reactor = "asyncio"
    elif reactor_choice != "asyncio":
        raise pytest.UsageError(
            f"--reactor={reactor_choice}: the bridges pytest plugin runs Twisted on asyncio's "
            "loop and needs --reactor=asyncio (the default with it); to use another reactor, "
            "disable the plugin with -p no:bridges"
        )
    session = _Session()
    config.stash[_session_key] = session
    import pytest_twisted

    session.own_installer = pytest_twisted.reactor_installers["asyncio"]
    pytest_twisted.reactor_installers["asyncio"] = _adopt_installed_reactor
    config.pluginmanager.register(_TornadoSide(session), "bridges-tornado")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the shared loop after pytest-twisted stopped its reactor."""
    session = _session(config)
    if session is not None:
        del config.stash[_session_key]
        session.close()
        import pytest_twisted

        pytest_twisted.reactor_installers["asyncio"] = session.own_installer


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    item.stash[_start_key] = time.monotonic()
    session = _session(item.config)
    if session is None:
        return (yield)
    # A test may have replaced the current loop (asyncio.run() sets it to None at its end).
    asyncio.set_event_loop(session.loop)
    session.item = item
    try:
        return (yield)
    finally:
        session.item = None


def _report_logged_errors(item: pytest.Item) -> Generator[None, None, None]:
    session = _session(item.config)
    if session is not None:
        session.collector.drain()
    try:
        yield
    finally:
        if session is not None:
            for record in session.collector.drain():
                text = logging.Formatter().format(record)
                warnings.warn(
                    UnhandledErrorWarning(
                        f"an error was logged on {record.name!r} during {item.nodeid}:\n{text}"
                    ),
                    stacklevel=1,
                )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield from _report_logged_errors(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield from _report_logged_errors(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    yield from _report_logged_errors(item)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run plain async tests on the shared loop and plain sync tests outside it."""
    session = _session(pyfuncitem.config)
    func = pyfuncitem.obj
    if (
        session is None
        or pyfuncitem.get_closest_marker("gen_test") is not None
        or getattr(func, _TWISTED_MARK, None) is not None
        or getattr(func, "hypothesis", None) is not None
        or inspect.isasyncgenfunction(func)
    ):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    if inspect.iscoroutinefunction(func):
        _run_async_test(session, pyfuncitem, func(**args))
        return True
    result = func(**args)
    from twisted.internet.defer import Deferred

    if isinstance(result, Deferred):
        session.block_on(result)
    elif inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        pytest.fail(f"{pyfuncitem.nodeid} returned an awaitable; make it an async def test")
    elif result is not None:
        warnings.warn(
            pytest.PytestReturnNotNoneWarning(
                f"Test functions should return None, but {pyfuncitem.nodeid} returned "
                f"{type(result)!r}."
            ),
            stacklevel=1,
        )
    return True


def _run_async_test(
    session: _Session, item: pytest.Function, coro: Coroutine[Any, Any, Any]
) -> None:
    before = asyncio.all_tasks(session.loop)
    failed = True
    try:
        session.run(coro, _deadline(item), f"the async test {item.nodeid}")
        failed = False
    finally:
        leftovers = session.settle(before)
    if leftovers and not failed:
        warnings.warn(
            PendingTaskWarning(
                f"{item.nodeid} left {len(leftovers)} task(s) pending; the bridges plugin "
                "cancelled them:\n" + "\n".join(leftovers)
            ),
            stacklevel=1,
        )


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Run plain async and async generator fixtures on the shared loop."""
    session = _session(request.config)
    func = fixturedef.func
    if session is None or not _is_plain_async(func):
        return (yield)
    fixturedef.func = _sync_fixture(session, func, request)  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]


def _sync_fixture(
    session: _Session, func: Callable[..., Any], request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """A synchronous stand-in for an async fixture function, for pytest to call."""
    name = f"the async fixture {request.fixturename!r}"

    def deadline() -> float | None:
        # The item being run, also for a fixture of a wider scope (set up or torn down for it).
        item = session.item
        return _deadline(item) if item is not None else None

    if request.instance is not None and hasattr(func, "__func__"):
        # A fixture method: bind it to the test's instance, as pytest would.
        func = func.__func__.__get__(request.instance)
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def generator_fixture(*args: Any, **kwargs: Any) -> Iterator[Any]:
            agen = func(*args, **kwargs)
            yield session.run(_anext(agen), deadline(), f"{name} (setup)")
            try:
                session.run(_anext(agen), deadline(), f"{name} (teardown)")
            except StopAsyncIteration:
                return
            session.run(agen.aclose(), deadline(), f"{name} (teardown)")
            raise ValueError(f"{name} yielded more than once")

        return generator_fixture

    @functools.wraps(func)
    def fixture(*args: Any, **kwargs: Any) -> Any:
        return session.run(func(*args, **kwargs), deadline(), name)

    return fixture


async def _anext(agen: types.AsyncGeneratorType[Any, Any]) -> Any:
    return await agen.__anext__()
