"""Unhandled errors: each orphaned failure is reported once, with traceback, on ``bridges``.

The project's pytest plugin turns any error logged on ``bridges`` during a test into a
warning (hence a failure); these tests log such errors on purpose and check them with
``caplog``, so that warning is ignored here (by its message, named in ``LOGGED``).
"""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

import bridges

LOGGED = "ignore:an error was logged on 'bridges'"
pytestmark = pytest.mark.filterwarnings(LOGGED)


class Boom(Exception):
    pass


def _boom(message: str) -> None:
    raise Boom(message)


def _failed_deferred(message: str) -> defer.Deferred[None]:
    return defer.maybeDeferred(_boom, message)


def _records(caplog, message: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "bridges" and r.exc_info and str(r.exc_info[1]) == message
    ]


async def _settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)
        gc.collect()


async def test_orphaned_failed_deferred_reported_once_with_traceback(reactor, caplog) -> None:
    _failed_deferred("orphan-deferred")
    await _settle()
    [record] = _records(caplog, "orphan-deferred")
    assert record.levelno == logging.ERROR
    assert "Unhandled error in Deferred" in record.getMessage()
    text = logging.Formatter().format(record)
    assert "_boom" in text  # the traceback is there
    # Twisted's header line is folded into the record, not logged separately.
    assert not [r for r in caplog.records if r.getMessage() == "Unhandled error in Deferred:"]


async def test_orphaned_failed_future_reported_once_with_traceback(reactor, caplog) -> None:
    def orphan() -> None:
        future = asyncio.get_running_loop().create_future()
        try:
            _boom("orphan-future")
        except Boom as exc:
            future.set_exception(exc)

    orphan()
    await _settle()
    [record] = _records(caplog, "orphan-future")
    assert "exception was never retrieved" in record.getMessage()
    assert "_boom" in logging.Formatter().format(record)


async def test_handed_failure_unhandled_on_both_sides_reported_once(reactor, caplog) -> None:
    def orphan() -> None:
        d = defer.Deferred()
        bridges.to_future(d)
        d.errback(Failure(Boom("both-sides")))

    orphan()
    await _settle()
    assert len(_records(caplog, "both-sides")) == 1


async def test_fired_handed_failure_unhandled_reported_once(reactor, caplog) -> None:
    def orphan() -> None:
        bridges.to_future(_failed_deferred("fired-both"))

    orphan()
    await _settle()
    assert len(_records(caplog, "fired-both")) == 1


async def test_handed_failure_handled_by_the_future_side(reactor, caplog) -> None:
    async def handled() -> None:
        d = _failed_deferred("awaited")
        with pytest.raises(Boom):
            await bridges.to_future(d)  # the Deferred keeps the failure, unhandled there

    await handled()
    await _settle()
    assert _records(caplog, "awaited") == []


async def test_handed_failure_handled_by_the_deferred_side(reactor, caplog) -> None:
    def handled() -> None:
        d = defer.Deferred()
        bridges.to_future(d)  # never awaited
        d.errback(Failure(Boom("errback")))
        d.addErrback(lambda f: None)

    handled()
    await _settle()
    assert _records(caplog, "errback") == []


async def test_new_failure_after_the_hand_off_is_reported_by_the_deferred(reactor, caplog) -> None:
    async def chain() -> None:
        d = _failed_deferred("first")
        with pytest.raises(Boom):
            await bridges.to_future(d)

        def replace(failure: Failure) -> None:
            raise Boom("second")

        d.addErrback(replace)

    await chain()
    await _settle()
    assert _records(caplog, "first") == []
    assert len(_records(caplog, "second")) == 1


async def test_cancelled_bridge_leaves_nothing_reported(reactor, caplog) -> None:
    async def cancel() -> None:
        d = defer.Deferred()
        future = bridges.to_future(d)
        future.cancel()
        await asyncio.sleep(0)
        assert d.called  # failed with CancelledError, and nobody looks at it

    await cancel()
    await _settle()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_to_deferred_failure_reported_once_by_the_deferred(reactor, caplog) -> None:
    async def fails() -> None:
        _boom("from-task")

    async def orphan() -> None:
        d = bridges.to_deferred(fails())
        await asyncio.sleep(0.01)
        assert d.called

    await orphan()
    await _settle()
    assert len(_records(caplog, "from-task")) == 1


async def test_round_trip_failure_reported_once(reactor, caplog) -> None:
    async def orphan() -> None:
        d0 = defer.Deferred()
        d1 = bridges.to_deferred(bridges.to_future(d0))
        d0.errback(Failure(Boom("round-trip")))
        await asyncio.sleep(0.01)
        assert d1.called

    await orphan()
    await _settle()
    assert len(_records(caplog, "round-trip")) == 1


def test_nothing_raw_on_stderr(python) -> None:
    proc = python(
        """
        import asyncio, gc, logging, sys
        import bridges
        from twisted.internet import defer

        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record)
        logging.getLogger("bridges").addHandler(Keep())
        logging.getLogger("bridges").propagate = False

        def boom():
            raise ValueError("lost")

        async def main():
            defer.maybeDeferred(boom)
            f = asyncio.get_running_loop().create_future()
            f.set_exception(KeyError("lost too"))
            del f
            for _ in range(3):
                gc.collect()
                await asyncio.sleep(0)

        bridges.run(main())
        gc.collect()
        assert len(records) == 2, [r.getMessage() for r in records]
        assert {type(r.exc_info[1]) for r in records} == {ValueError, KeyError}
        """
    )
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "", ""), proc


async def test_two_futures_of_one_failed_deferred_reported_once(reactor, caplog) -> None:
    def orphan() -> None:
        d = _failed_deferred("two-futures")
        bridges.to_future(d)
        bridges.to_future(d)

    orphan()
    await _settle()
    assert len(_records(caplog, "two-futures")) == 1


async def test_two_futures_one_awaited_nothing_reported(reactor, caplog) -> None:
    async def one_awaited() -> None:
        d = _failed_deferred("one-awaited")
        bridges.to_future(d)
        with pytest.raises(Boom):
            await bridges.to_future(d)

    await one_awaited()
    await _settle()
    assert _records(caplog, "one-awaited") == []


async def test_with_twisted_debugging_on(reactor, caplog) -> None:
    defer.setDebugging(True)
    try:

        def orphan() -> None:
            bridges.to_future(_failed_deferred("debugging"))

        orphan()
        await _settle()
    finally:
        defer.setDebugging(False)
    [record] = _records(caplog, "debugging")
    # Twisted's debug information (where the Deferred was created) is kept.
    assert "_failed_deferred" in record.getMessage() or "_failed_deferred" in str(record.exc_info)


async def test_error_in_a_timed_call_goes_to_the_bridges_logger(reactor, caplog) -> None:
    done = defer.Deferred()
    reactor.callLater(0, _boom, "timed-call")
    reactor.callLater(0.001, done.callback, None)
    await asyncio.wait_for(bridges.to_future(done), 10)
    [record] = _records(caplog, "timed-call")
    assert record.levelno >= logging.ERROR
    assert "_boom" in logging.Formatter().format(record)


def _raising_callback(_: object) -> None:
    raise Boom("from-callback")


def _live_deferreds() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is defer.Deferred)


async def test_failure_raised_in_a_callback_and_awaited_leaves_nothing_behind(reactor) -> None:
    """The ordinary failure: a callback raises. Its exception's traceback then reaches the frame
    that awaited the future, which refers to the future and the Deferred: nothing global may
    keep that alive (it once kept every such Deferred and future for ever)."""

    async def awaited(pending: bool) -> None:
        d: defer.Deferred[int] = defer.Deferred()
        d.addCallback(_raising_callback)
        if pending:
            future = bridges.to_future(d)
            reactor.callLater(0, d.callback, 1)
        else:
            d.callback(1)
            future = bridges.to_future(d)
        with pytest.raises(Boom):
            await future

    before = _live_deferreds()
    for pending in (True, False):
        for _ in range(200):
            await awaited(pending)
    await _settle()
    assert _live_deferreds() - before == 0


async def test_failure_raised_in_a_callback_unhandled_on_both_sides_reported_once(
    reactor, caplog
) -> None:
    def orphan() -> None:
        d: defer.Deferred[int] = defer.Deferred()
        d.addCallback(_raising_callback)
        bridges.to_future(d)
        d.callback(1)

    orphan()
    await _settle()
    assert len(_records(caplog, "from-callback")) == 1
