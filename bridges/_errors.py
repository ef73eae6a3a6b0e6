"""Unhandled errors of both worlds, reported once, on the stdlib logger ``bridges``.

Twisted reports a Deferred that is garbage-collected while holding a failure through its own
logging system (to stderr until logging "begins"); asyncio reports a future whose exception was
never retrieved through the loop's exception handler (to the ``asyncio`` logger). A failure
handed from a Deferred to a future lives on both sides at once, so without care it is reported
twice, or by the side nobody looks at. This module:

- routes Twisted's log events to the stdlib logger ``bridges`` (`route_twisted_logs`);
- installs a loop exception handler that logs to ``bridges`` (`install_loop_handler`);
- arbitrates a failure held by a Deferred *and* futures (`Orphan`): it is reported once, with
  its traceback, only if every holder ends up not handling it; if any handled it, nobody
  reports it;
- silences the failure that a cancelled bridge leaves behind on its Deferred (`silence`).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import DebugInfo, Deferred
from twisted.logger import (
    ILogObserver,
    LogLevel,
    formatEvent,
    globalLogBeginner,
    globalLogPublisher,
)
from twisted.python.failure import Failure
from zope.interface import provider  # type: ignore[import-untyped]

__all__ = [
    "Orphan",
    "hand_over",
    "install_loop_handler",
    "logger",
    "route_twisted_logs",
    "silence",
]

logger = logging.getLogger("bridges")

_DEFER_NAMESPACE = "twisted.internet.defer"
_DEFER_HEADER = "Unhandled error in Deferred:"
_LEVELS = {
    LogLevel.debug: logging.DEBUG,
    LogLevel.info: logging.INFO,
    LogLevel.warn: logging.WARNING,
    LogLevel.error: logging.ERROR,
    LogLevel.critical: logging.CRITICAL,
}


def _exc_info(failure: Failure) -> tuple[type[BaseException], BaseException, Any]:
    value = failure.value
    assert value is not None  # a Failure always wraps an exception
    tb = failure.getTracebackObject()  # type: ignore[no-untyped-call]
    return type(value), value, tb or value.__traceback__


def report_failure(message: str, failure: Failure) -> None:
    """Log ``failure`` with its traceback on the ``bridges`` logger at ERROR level."""
    logger.error(message, exc_info=_exc_info(failure))


# -- Twisted side ---------------------------------------------------------------------------


@provider(ILogObserver)  # type: ignore[untyped-decorator]
def _twisted_observer(event: dict[str, Any]) -> None:
    """Forward one Twisted log event to the stdlib logger ``bridges``.

    Twisted reports an unhandled Deferred failure as two events (a header, then the failure);
    they become one record, so "reported once" holds for log handlers too.
    """
    namespace = event.get("log_namespace")
    failure = event.get("log_failure")
    if (
        namespace == _DEFER_NAMESPACE
        and failure is None
        and event.get("log_format") == _DEFER_HEADER
    ):
        return
    level = _LEVELS.get(event.get("log_level", LogLevel.info), logging.INFO)
    text = formatEvent(event)
    if failure is None:
        logger.log(level, "%s", text)
        return
    if namespace == _DEFER_NAMESPACE:
        # Twisted says CRITICAL; asyncio says ERROR for the same kind of event. One level.
        text = f"Unhandled error in Deferred {text}".rstrip()
        level = logging.ERROR
    logger.log(max(level, logging.ERROR), "%s", text, exc_info=_exc_info(failure))


def route_twisted_logs() -> None:
    """Send Twisted's log events to the stdlib logger ``bridges`` (idempotent).

    If nobody has begun Twisted logging yet, begin it with our observer only: that removes
    Twisted's start-up observer, which writes critical events (unhandled Deferred errors) raw to
    stderr, and replays the events buffered so far. Standard I/O is not redirected and
    ``warnings.showwarning`` is left as it was (Twisted would take over both). If the application
    has begun Twisted logging itself, our observer is added next to its observers.
    """
    if _twisted_observer in getattr(globalLogPublisher, "_observers", ()):
        return
    # LogBeginner keeps its start-up observer in this private attribute until logging begins.
    if getattr(globalLogBeginner, "_temporaryObserver", None) is not None:
        showwarning = warnings.showwarning
        try:
            globalLogBeginner.beginLoggingTo([_twisted_observer], redirectStandardIO=False)
        finally:
            warnings.showwarning = showwarning
    else:
        globalLogPublisher.addObserver(_twisted_observer)


class _Watch(DebugInfo):
    """The debug record of a Deferred whose failure bridges handed on or left behind.

    Twisted reports a Deferred's failure when its `DebugInfo` is collected while ``failResult`` is
    still set. This subclass takes over that moment: for each failure it knows about, it votes in
    the failure's `Orphan` (or stays silent for a cancelled bridge's leftover); any other failure
    the Deferred ends with is reported by Twisted as usual.
    """

    def __init__(self, previous: DebugInfo | None) -> None:
        super().__init__()
        self.handed: list[tuple[Failure, Orphan | None]] = []
        if previous is not None:
            self.creator = previous.creator
            self.invoker = previous.invoker
            self.failResult = previous.failResult
            previous.failResult = None
            if isinstance(previous, _Watch):
                self.handed = previous.handed

    def __del__(self) -> None:
        held = self.failResult
        known = False
        for failure, orphan in self.handed:
            if failure is held:
                known = True
            if orphan is not None:
                orphan.vote(failure is held, self._getDebugTracebacks())
        if known:
            self.failResult = None
        super().__del__()


def _watch(d: Deferred[Any]) -> _Watch:
    current = d._debugInfo
    watch = current if isinstance(current, _Watch) else _Watch(current)
    d._debugInfo = watch
    return watch


def hand_over(d: Deferred[Any], failure: Failure, future: asyncio.Future[Any]) -> None:
    """``future`` now holds ``failure`` too: report it once, and only if nobody handles it."""
    watch = _watch(d)
    for known, orphan in watch.handed:
        if known is failure and orphan is not None:
            break
    else:
        orphan = Orphan(failure)
        watch.handed.append((failure, orphan))
    orphan.add_future(future)


def silence(d: Deferred[Any], failure: Failure) -> None:
    """Never report ``failure`` on ``d``: a cancelled bridge left it behind, nobody awaits it."""
    _watch(d).handed.append((failure, None))


#: True once ``bridges.run``'s coroutine is done: ``asyncio.run`` then cancels the tasks left
#: over, and the cancellation a bridge passes on to its Deferred is nobody's to report.
shutting_down = False


# -- asyncio side ---------------------------------------------------------------------------


class Orphan:
    """One failure held by a Deferred and by one or more asyncio futures at the same time.

    The Deferred votes once, when it is collected, from its `_Watch`: "unhandled" or "handled".
    A future votes "unhandled" when asyncio finds its exception never retrieved (our loop
    exception handler sees it as the future is collected); a future whose exception was
    retrieved never votes, so the vote never completes and nothing is reported. The failure is
    reported once, when the last vote is in, and only if every holder left it unhandled.

    Nothing global refers to an orphan: the Deferred's debug record and each future
    (``future._orphan``) do. The failure's traceback often leads back to them (the frame that
    awaited the future), so a global table would keep all of them alive for ever; as it is,
    they are ordinary garbage once their owners let go.
    """

    __slots__ = ("_debug", "_handled", "_pending", "failure")

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        self._pending = 1  # the Deferred's vote
        self._handled = False
        self._debug = ""

    def add_future(self, future: asyncio.Future[Any]) -> None:
        """Count ``future`` (holding this failure as its exception) as one more holder.

        ``future`` must have an ``_orphan`` slot (`bridges._twisted`'s futures do).
        """
        self._pending += 1
        future._orphan = self  # type: ignore[attr-defined]

    def vote(self, unhandled: bool, debug: str = "") -> None:
        """One holder's vote; ``debug`` is Twisted's debug information, from the Deferred."""
        self._pending -= 1
        self._handled = self._handled or not unhandled
        self._debug = self._debug or debug
        if self._pending == 0 and not self._handled:
            message = "Unhandled error in Deferred (also never retrieved from its future)"
            if self._debug:
                message = f"{message} (debug: {self._debug})"
            report_failure(message, self.failure)


def _claim(future: object) -> bool:
    """A bridged future collected with its exception unretrieved: its orphan's vote, once."""
    orphan = getattr(future, "_orphan", None)
    if not isinstance(orphan, Orphan):
        return False
    future._orphan = None  # type: ignore[attr-defined]
    orphan.vote(True)
    return True


_Handler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


class _LoopHandler:
    """Loop exception handler: bridged futures go to their `Orphan`, the rest to ``bridges``.

    A handler the application had set before is kept and still called for everything that is
    not a bridged failure.
    """

    def __init__(self, previous: _Handler | None) -> None:
        self.previous = previous

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _claim(context.get("future")):
            return
        if self.previous is not None:
            self.previous(loop, context)
            return
        message = context.get("message") or "Unhandled exception in event loop"
        details = [
            f"{key}: {value!r}"
            for key, value in context.items()
            if key not in {"message", "exception"}
        ]
        text = "\n".join([message, *details])
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            logger.error("%s", text, exc_info=(type(exc), exc, exc.__traceback__))
        else:
            logger.error("%s", text)


def install_loop_handler(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop`` report unhandled errors on the ``bridges`` logger (idempotent)."""
    current = loop.get_exception_handler()
    if not isinstance(current, _LoopHandler):
        loop.set_exception_handler(_LoopHandler(current))
