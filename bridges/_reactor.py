"""Twisted's asyncio reactor on an asyncio loop, without ``reactor.run()``.

Twisted 26.10's ``asyncioreactor`` assumes it owns the loop: ``reactor.run()`` calls
``run_forever`` and ``reactor.stop()`` stops the loop (its "during shutdown" ``crash`` trigger
calls ``loop.stop()``; under ``asyncio.run`` that is "Event loop stopped before Future
completed"). Under ``asyncio.run`` the loop is already running, so `install_reactor` only
*starts* the reactor (``startRunning(installSignalHandlers=False)``: without it the thread pool,
and so name resolution, never runs), and `run` shuts it down by firing Twisted's shutdown event
itself, never stopping the loop.

Installing also: routes unhandled errors of both worlds to the ``bridges`` logger
(`bridges._errors`), makes ``callLater`` keep ``contextvars`` (`bridges._context`), and teaches
Tornado's ``gen.convert_yielded`` about Deferreds if Tornado is importable (`bridges._tornado`).

Private helpers for the pytest plugin, which owns a long-lived loop: `install_on`,
`installed_loop`, `is_installed_on`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from bridges._exceptions import ReactorMismatchError

__all__ = [
    "current_loop",
    "install_on",
    "install_reactor",
    "installed_loop",
    "is_installed_on",
    "run",
]

_T = TypeVar("_T")

# The loop our reactor is installed on (set once, for the life of the process).
_loop: asyncio.AbstractEventLoop | None = None
_run_called = False

_FIX_ORDER = (
    "Call bridges.install_reactor() (or run the program with bridges.run()) before anything "
    "imports twisted.internet.reactor: importing it installs Twisted's default reactor, and a "
    "process has one reactor for its whole life."
)


def installed_loop() -> asyncio.AbstractEventLoop | None:
    """The loop bridges installed (or adopted) the asyncio reactor on, or ``None``."""
    return _loop


def is_installed_on(loop: asyncio.AbstractEventLoop) -> bool:
    """True if bridges has installed (or adopted) the asyncio reactor on ``loop``."""
    return _loop is loop


def current_loop() -> asyncio.AbstractEventLoop:
    """The running loop; outside one, the loop the reactor is installed on.

    Twisted calls code synchronously at odd times (``@inlineCallbacks`` bodies start when
    called, possibly before the loop runs); conversions then still belong to the reactor's loop.
    """
    loop = asyncio._get_running_loop()
    if loop is not None:
        return loop
    if _loop is not None:
        # BaseEventLoop records the thread it runs in; futures and tasks are not thread-safe.
        owner = getattr(_loop, "_thread_id", None)
        if owner is not None and owner != threading.get_ident():
            raise RuntimeError(
                "bridges conversions must run on the loop's thread; from another thread, "
                "use bridges.call_from_thread(fn, *args)"
            )
        return _loop
    raise RuntimeError(
        "bridges needs an event loop: call this from a coroutine running on the loop, "
        "or call bridges.install_reactor(loop) first"
    )


def _describe(reactor: object) -> str:
    cls = type(reactor)
    return f"{cls.__module__}.{cls.__qualname__}"


def install_on(loop: asyncio.AbstractEventLoop, *, start: bool = True) -> Any:
    """Install the asyncio reactor on ``loop`` (running or not) and return the reactor.

    For code that owns ``loop`` (the pytest plugin): the loop need not be running yet. An
    ``AsyncioSelectorReactor`` that someone else installed on this same loop (pytest-twisted's
    ``--reactor=asyncio``) is adopted rather than refused. With ``start=False`` the reactor is
    not started: for an owner that will call ``reactor.run()`` or ``startRunning`` itself.
    Idempotent for the same loop; raises `ReactorMismatchError` for any other reactor or loop.
    """
    global _loop
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor

    existing: Any = sys.modules.get("twisted.internet.reactor")
    if existing is not None:
        if not isinstance(existing, AsyncioSelectorReactor):
            raise ReactorMismatchError(
                f"Twisted's reactor is already installed as {_describe(existing)}, not the "
                f"asyncio reactor bridges needs. {_FIX_ORDER}"
            )
        if existing._asyncioEventloop is not loop:
            raise ReactorMismatchError(
                f"Twisted's asyncio reactor ({_describe(existing)}) is already installed on "
                f"another event loop ({existing._asyncioEventloop!r}, not {loop!r}); a reactor "
                f"cannot move to another loop. {_FIX_ORDER}"
            )
        reactor = existing
    else:
        from twisted.internet.main import installReactor

        reactor = AsyncioSelectorReactor(loop)
        installReactor(reactor)  # type: ignore[no-untyped-call]
    if _loop is not loop:
        _adopt(reactor, loop)
        _loop = loop
    if start and not reactor._started and not reactor._startedBefore:
        reactor.startRunning(installSignalHandlers=False)
    return reactor


def _adopt(reactor: Any, loop: asyncio.AbstractEventLoop) -> None:
    from bridges import _context, _errors

    # Without reactor.run(), nothing stops the reactor's thread pool when a plain
    # ``asyncio.run`` ends, and its non-daemon workers would keep the process from exiting.
    # This is the hook concurrent.futures uses for its own pools: it runs before the
    # interpreter joins non-daemon threads. (`run` stops the pool earlier, via shutdown.)
    threading._register_atexit(_stop_thread_pool, reactor)  # type: ignore[attr-defined]
    _context.preserve_context(reactor)
    _errors.route_twisted_logs()
    _errors.install_loop_handler(loop)
    if importlib.util.find_spec("tornado") is not None:
        from bridges import _tornado

        _tornado.register()


def _stop_thread_pool(reactor: Any) -> None:
    pool = getattr(reactor, "threadpool", None)
    if pool is not None and pool.started:
        pool.stop()


def _release_reserved_fd() -> None:
    # Twisted's TCP ports keep a file descriptor (on /dev/null) open for the whole process, to
    # recover from EMFILE; reactor.run() users never see it, but with warnings enabled it shows
    # up as a ResourceWarning at exit. `run` owns the process's end, so it closes it.
    from twisted.internet import tcp

    reservation: Any = getattr(tcp.Port, "_reservedFD", None)
    fd = getattr(reservation, "_fileDescriptor", None)
    if fd is not None:
        fd.close()
        reservation._fileDescriptor = None


def install_reactor(loop: asyncio.AbstractEventLoop | None = None) -> Any:
    """Install Twisted's asyncio reactor on ``loop`` (default: the running loop); return it.

    The reactor is usable at once without ``reactor.run()``: ``callLater``, the thread pool
    (``deferToThread``), name resolution (``reactor.resolve``), TCP listen and connect. It is
    started with ``startRunning(installSignalHandlers=False)`` and must never be stopped with
    ``reactor.stop()`` while asyncio owns the loop (use `run` for a clean shutdown).

    Also routes unhandled errors of Twisted and asyncio to the ``bridges`` logger, makes
    ``reactor.callLater`` run callbacks in the ``contextvars`` context that scheduled them, and,
    if Tornado is installed, lets ``gen.coroutine`` yield Deferreds.

    Idempotent for the same loop. Raises `ReactorMismatchError` if another reactor is already
    installed (``twisted.internet.reactor`` was imported too early) or the asyncio reactor is
    installed on a different loop. Importing bridges never touches the reactor; only this does.
    """
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "install_reactor() without a loop must be called from a running coroutine; "
                "pass the loop explicitly otherwise"
            ) from None
    return install_on(loop)


def run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` like ``asyncio.run``, Twisted's asyncio reactor on the loop; return its result.

    When ``coro`` finishes (or fails), Twisted is shut down while the loop still runs: its
    "before", "during" and "after" shutdown triggers run (a "before" trigger may return a
    Deferred, which is waited for), the reactor's thread pool stops and listening ports close.
    Then ``asyncio.run`` cancels leftover tasks and closes the loop. Nothing is printed.

    A Twisted reactor cannot restart, so a second ``run()`` in one process raises
    ``RuntimeError``, as does ``run()`` called from a running loop; ``run()`` after another
    reactor was installed, or after `install_reactor` was used on another loop, raises
    `ReactorMismatchError`. In each case ``coro`` is closed, never run.
    """
    global _run_called
    if not inspect.iscoroutine(coro):
        raise TypeError(f"run() needs a coroutine object, not {type(coro).__qualname__}")
    if asyncio._get_running_loop() is not None:
        coro.close()
        raise RuntimeError(
            "bridges.run() cannot be called from a running event loop; "
            "await the coroutine, or call bridges.install_reactor() in it"
        )
    if _run_called:
        coro.close()
        raise RuntimeError(
            "bridges.run() was already called in this process and a Twisted reactor cannot "
            "restart; run all the work inside one bridges.run() call"
        )
    existing = sys.modules.get("twisted.internet.reactor")
    if existing is not None and _loop is None:
        coro.close()
        raise ReactorMismatchError(
            f"Twisted's reactor ({_describe(existing)}) was installed before bridges.run(), "
            f"which needs to install the asyncio reactor on its own loop. {_FIX_ORDER}"
        )
    _run_called = True
    try:
        result: _T = asyncio.run(_main(coro))
    finally:
        from bridges._threads import abandon_waiting

        abandon_waiting("bridges.run() ended before the work call_from_thread waits for finished")
    return result


async def _main(coro: Coroutine[Any, Any, _T]) -> _T:
    try:
        reactor = install_reactor()
    except BaseException:
        coro.close()
        raise
    try:
        result: _T = await coro
        return result
    finally:
        await _shutdown(reactor)
        from bridges import _errors

        _errors.shutting_down = True


async def _shutdown(reactor: Any) -> None:
    """Fire Twisted's shutdown event on a running loop and wait for its last phase."""
    from twisted.internet.base import ReactorBase

    # ReactorBase.__init__ adds reactor.crash as a "during shutdown" trigger; on the asyncio
    # reactor crash() stops the loop, which would break asyncio.run. Its handle is not kept,
    # so it is rebuilt: (event, (phase, callable, args, kwargs)).
    with contextlib.suppress(ValueError):
        reactor.removeSystemEventTrigger(("shutdown", ("during", reactor.crash, (), {})))
    done = asyncio.get_running_loop().create_future()

    def finished() -> None:
        if not done.done():
            done.set_result(None)

    reactor.addSystemEventTrigger("after", "shutdown", finished)
    ReactorBase.stop(reactor)
    # The shutdown event fires from runUntilCurrent, which runs when a timed call is due.
    reactor.callLater(0, lambda: None)
    await done
    reactor.running = False
    _release_reserved_fd()
